"""The WebSocket section's stacks, as a table: which server, which URLs, which group message.

Every stack runs bench_project.ws_settings, so all use the same CHANNEL_LAYERS (channels_redis
on the bench's redis-server).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from .stacks import Stack


@dataclass(frozen=True)
class WsStack:
    name: str
    label: str
    server: str  # "gunicorn" (our worker class in `worker`) or "uvicorn"
    echo_path: str | None
    fanout_path: str | None  # None: no fan-out phase (the bare aiohttp floor)
    message_type: str  # what the sender's group_send carries
    worker: str = "async_handler.worker.AiohttpWorker"
    app: str = "bench_project.wsgi_async"
    ours: bool = True
    requires: tuple[str, ...] = ()

    def server_stack(self, workers: int) -> Stack:
        # uvicorn binds its own port: on an inherited --fd it leaves TCP_NODELAY off
        # (see stacks._uvicorn_app), which slowed Channels' echo in the first runs.
        return Stack(self.name, self.label, _argv(self, workers), self.requires, self.ours,
                     own_port=self.server == "uvicorn")


def _argv(st: WsStack, workers: int) -> Callable[[int], list[str]]:
    def build(fd: int) -> list[str]:
        if st.server == "uvicorn":
            return [
                sys.executable,
                "-m",
                "uvicorn",
                "bench_project.ws_asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
                "--lifespan",
                "off",
            ]
        # Open sockets count against --worker-connections (issue 12, point 3): room for 5,000.
        return [
            sys.executable,
            "-m",
            "gunicorn",
            st.app,
            "-k",
            st.worker,
            "--bind",
            f"fd://{fd}",
            "-w",
            str(workers),
            "--no-control-socket",
            "--worker-connections",
            "10000",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]

    return build


OURS_NEEDS = ("async_handler.websocket:websocket_view", "channels_redis")
WS_STACKS: tuple[WsStack, ...] = (
    WsStack(
        "ours",
        "@websocket_view, gunicorn AiohttpWorker",
        "gunicorn",
        "/ws/echo/",
        "/ws/fanout/",
        "websocket.send",
        requires=OURS_NEEDS,
    ),
    WsStack(
        "ours-uvloop",
        "@websocket_view, gunicorn AiohttpUVLoopWorker",
        "gunicorn",
        "/ws/echo/",
        "/ws/fanout/",
        "websocket.send",
        worker="async_handler.worker.AiohttpUVLoopWorker",
        requires=(*OURS_NEEDS, "uvloop"),
    ),
    WsStack(
        "consumer_view",
        "Channels consumer through consumer_view, AiohttpWorker",
        "gunicorn",
        "/ws/consumer/echo/",
        "/ws/consumer/fanout/",
        "bench.message",
        requires=OURS_NEEDS,
    ),
    # Issue 12 point 4's other model: a layer channel per socket (ws_groups.py).
    WsStack(
        "ours-per-socket",
        "@websocket_view, a layer channel per socket (bench-only, the model before feeds.py)",
        "gunicorn",
        None,
        "/ws/fanout-socket/",
        "websocket.send",
        requires=OURS_NEEDS,
    ),
    # No Django: what aiohttp's request handler and WebSocketResponse cost on their own.
    WsStack(
        "aiohttp-bare",
        "bare aiohttp WebSocketResponse echo, no Django (gunicorn GunicornWebWorker): the floor",
        "gunicorn",
        "/ws/echo/",
        None,
        "",
        worker="aiohttp.GunicornWebWorker",
        app="benchlib.bare_ws:app",
        ours=False,
    ),
    WsStack(
        "channels",
        "Channels 4 AsyncWebsocketConsumer, AuthMiddlewareStack, uvicorn",
        "uvicorn",
        "/ws/consumer/echo/",
        "/ws/consumer/fanout/",
        "bench.message",
        ours=False,
        requires=("uvicorn", "channels_redis", "websockets"),
    ),
)
PEER = "channels"
