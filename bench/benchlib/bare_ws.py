"""The WebSocket section's floor: a bare aiohttp echo, with no Django and no async_handler.

Served by gunicorn's `aiohttp.GunicornWebWorker` (`gunicorn benchlib.bare_ws:app`). Its
WebSocketResponse has what our view's has by default (WEBSOCKET_* settings): pings every 20 s,
a 1 MiB message cap, permessage-deflate. What a socket costs here is what aiohttp's
request handler and WebSocketResponse cost; the rest of ours is Django's and this package's.
"""

from __future__ import annotations

from aiohttp import WSMsgType, web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=1024 * 1024, compress=True)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


app = web.Application()
app.router.add_get("/hello/sync/", hello)
app.router.add_get("/ws/echo/", echo)
