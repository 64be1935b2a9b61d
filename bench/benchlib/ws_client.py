"""The WebSocket section's load client, run as a process of its own (several at once).

`python ws_client.py '<json>'`, with {"mode": "echo" | "hold", "url", "sockets", ...}:

- echo: opens the sockets, prints {"open": n}, waits for "go" on stdin, then each socket sends
  a 32-byte text, awaits its echo and repeats; after `warmup` s it counts round trips for
  `duration` s and prints {"round_trips", "seconds", "cpu_s"}.
- hold: opens the sockets (`ready`: each waits for the server's "ready <pid>" first) and prints
  {"open": n, "pids": {pid: sockets}}. It then records each "m <seq> <t0>" message a socket
  receives and, once all its sockets have one of a seq, prints {"seq", "last"} (the latest
  arrival, time.monotonic(), which all processes share on Linux). "close" or EOF on stdin
  closes the sockets; it prints {"cpu_s"} and exits.

aiohttp's client on uvloop when installed, offering permessage-deflate as browsers do.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from typing import Any

import aiohttp

OPEN_AT_ONCE = 64


def say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


async def open_all(
    session: aiohttp.ClientSession, cfg: dict[str, Any]
) -> tuple[list[Any], Counter[str]]:
    """Open cfg["sockets"] sockets, OPEN_AT_ONCE at a time; the pid each server said, if asked."""
    gate = asyncio.Semaphore(OPEN_AT_ONCE)
    pids: Counter[str] = Counter()
    urls = cfg.get("urls") or [cfg["url"]] * cfg["sockets"]

    async def one(url: str) -> Any:
        async with gate:
            ws = await session.ws_connect(url, autoping=True, max_msg_size=0)
            if cfg.get("ready"):
                msg = await ws.receive(timeout=60)
                if msg.type != aiohttp.WSMsgType.TEXT or not msg.data.startswith("ready "):
                    raise RuntimeError(f"expected ready, got {msg.type} {msg.data!r}")
                pids[msg.data.split()[1]] += 1
            return ws

    return list(await asyncio.gather(*(one(u) for u in urls))), pids


async def echo(cfg: dict[str, Any]) -> None:
    payload = "x" * 32
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets, _ = await open_all(session, cfg)
        say({"open": len(sockets)})
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        counting = False
        count = 0
        stop = False

        async def loop(ws: Any) -> None:
            nonlocal count
            while not stop:
                await ws.send_str(payload)
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"echo got {msg.type}")
                if counting:
                    count += 1

        tasks = [asyncio.ensure_future(loop(ws)) for ws in sockets]
        await asyncio.sleep(cfg["warmup"])
        counting, began, cpu0 = True, time.monotonic(), cpu_s()
        await asyncio.sleep(cfg["duration"])
        counting, seconds, cpu = False, time.monotonic() - began, cpu_s() - cpu0
        done = count
        stop = True
        await asyncio.wait(tasks, timeout=10)
        for ws in sockets:
            await ws.close()
        failed = [t.exception() for t in tasks if t.done() and t.exception()]
        say(
            {
                "round_trips": done,
                "seconds": seconds,
                "cpu_s": cpu,
                "errors": [repr(e)[:200] for e in failed[:3]],
            }
        )


async def hold(cfg: dict[str, Any]) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets, pids = await open_all(session, cfg)
        say({"open": len(sockets), "pids": dict(pids)})
        got: dict[int, list[float]] = {}
        n = len(sockets)

        async def read(ws: Any) -> None:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT or not msg.data.startswith("m "):
                    continue
                now = time.monotonic()
                seq = int(msg.data.split()[1])
                seen = got.setdefault(seq, [0.0, 0.0])
                seen[0] += 1
                seen[1] = max(seen[1], now)
                if seen[0] == n:
                    say({"seq": seq, "last": seen[1]})
                    del got[seq]

        readers = [asyncio.ensure_future(read(ws)) for ws in sockets]
        cpu0 = cpu_s()
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "close":
                break
        cpu = cpu_s() - cpu0
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        say({"cpu_s": cpu})


def main() -> None:
    cfg = json.loads(sys.argv[1])
    coro = echo(cfg) if cfg["mode"] == "echo" else hold(cfg)
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


if __name__ == "__main__":
    main()
