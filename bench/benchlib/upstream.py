"""The PostgreSQL section's upstream: a bare aiohttp server that answers after a delay.

Run as `python upstream.py --fd N --delay 1` on a socket the harness bound to 127.0.0.1;
`GET /?s=0` answers at once (the harness's readiness probe).
"""

from __future__ import annotations

import argparse
import asyncio
import socket

from aiohttp import web


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--fd", type=int, required=True, help="listening socket to serve on")
    p.add_argument("--delay", type=float, default=1.0, help="seconds before each answer")
    args = p.parse_args()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("s", args.delay)))
        return web.Response(text="upstream")

    app = web.Application()
    app.router.add_get("/", slow)
    sock = socket.socket(fileno=args.fd)
    web.run_app(app, sock=sock, access_log=None, print=None, backlog=2048)


if __name__ == "__main__":
    main()
