"""The server stacks under test, as a data table: how to start each one on an inherited socket."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

GUNICORN_COMMON = [
    "-w",
    "1",
    "--no-control-socket",
    "--graceful-timeout",
    "5",
    "--log-level",
    "warning",
]


@dataclass(frozen=True)
class Stack:
    name: str
    label: str
    argv: Callable[[int], list[str]]
    requires: tuple[str, ...] = ()
    ours: bool = False
    # The server binds 127.0.0.1 port 0 itself (granian takes no inherited socket, uvicorn
    # mistakes one for a unix socket); the bench finds its port in /proc (listening_port).
    own_port: bool = False


def _gunicorn(app: str, *worker: str) -> Callable[[int], list[str]]:
    def build(fd: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            *worker,
            "--bind",
            f"fd://{fd}",
            *GUNICORN_COMMON,
        ]

    return build


def _uvicorn_app(app: str, lifespan: str) -> Callable[[int], list[str]]:
    """uvicorn on a port of its own (own_port).

    Not `--fd`: uvicorn takes an inherited descriptor for a unix socket
    (socket.fromfd(fd, AF_UNIX), uvicorn/server.py), so asyncio never sets
    TCP_NODELAY on its connections and each response written in two pieces waits
    for the client's delayed ACK: a bare ASGI hello served 1,425 req/s that way
    against 40,226 on `--port` (wrk -c64, this machine, 2026-12-02).
    """

    def build(fd: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-level",
            "warning",
            "--no-access-log",
            "--lifespan",
            lifespan,
        ]

    return build


_uvicorn = _uvicorn_app("bench_project.asgi:application", "off")


def _granian(app: str, interface: str) -> Callable[[int], list[str]]:
    """granian on a port of its own; `asginl` is ASGI without lifespan, which Django refuses."""

    def build(fd: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            interface,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--workers",
            "1",
            "--log-level",
            "warning",
            app,
        ]

    return build


STACKS: tuple[Stack, ...] = (
    Stack(
        "ours",
        "async_handler AiohttpWorker",
        _gunicorn("bench_project.wsgi_async", "-k", "async_handler.worker.AiohttpWorker"),
        requires=("async_handler:get_async_application", "async_handler.worker:AiohttpWorker"),
        ours=True,
    ),
    Stack(
        "ours-uvloop",
        "async_handler AiohttpUVLoopWorker",
        _gunicorn("bench_project.wsgi_async", "-k", "async_handler.worker.AiohttpUVLoopWorker"),
        requires=(
            "async_handler:get_async_application",
            "async_handler.worker:AiohttpUVLoopWorker",
            "uvloop",
        ),
        ours=True,
    ),
    Stack(
        "gthread",
        "gunicorn gthread, 8 threads, WSGI",
        _gunicorn("bench_project.wsgi", "-k", "gthread", "--threads", "8"),
    ),
    # The PostgreSQL section's sync baseline, as issue 10 asks: gthread with 16 threads.
    Stack(
        "gthread16",
        "gunicorn gthread, 16 threads, WSGI",
        _gunicorn("bench_project.wsgi", "-k", "gthread", "--threads", "16"),
    ),
    Stack(
        "asgi",
        "gunicorn -k asgi, Django ASGI",
        _gunicorn("bench_project.asgi", "-k", "asgi", "--asgi-lifespan", "off"),
        requires=("gunicorn.workers.gasgi:ASGIWorker",),
    ),
    Stack("uvicorn", "uvicorn, Django ASGI", _uvicorn, requires=("uvicorn",), own_port=True),
    # Issue 13: this package's ASGI application on the same server as Django's.
    Stack(
        "ours-uvicorn",
        "uvicorn, async_handler get_asgi_application",
        _uvicorn_app("bench_project.asgi_ours:application", "on"),
        requires=("uvicorn", "async_handler:get_asgi_application"),
        ours=True,
        own_port=True,
    ),
    # The ceiling: a bare ASGI hello (bench_project/asgi_bare.py) costs only the server.
    Stack(
        "bare-uvicorn",
        "uvicorn, bare ASGI hello (no Django)",
        _uvicorn_app("bench_project.asgi_bare:application", "off"),
        requires=("uvicorn",),
        own_port=True,
    ),
    Stack(
        "granian",
        "granian, Django ASGI",
        _granian("bench_project.asgi:application", "asginl"),
        requires=("granian",),
        own_port=True,
    ),
    Stack(
        "ours-granian",
        "granian, async_handler get_asgi_application",
        _granian("bench_project.asgi_ours:application", "asgi"),
        requires=("granian", "async_handler:get_asgi_application"),
        ours=True,
        own_port=True,
    ),
    Stack(
        "bare-granian",
        "granian, bare ASGI hello (no Django)",
        _granian("bench_project.asgi_bare:application", "asginl"),
        requires=("granian",),
        own_port=True,
    ),
)

# The upload section's peers (benchlib/upload.py): its ceilings, a bare aiohttp application under
# gunicorn's aiohttp worker and a bare ASGI application on uvicorn, and the client's own ceiling,
# a socket that discards what it gets.
UPLOAD_PEERS: tuple[Stack, ...] = (
    Stack(
        "aiohttp",
        "bare aiohttp application, gunicorn -k aiohttp.GunicornWebWorker",
        _gunicorn("benchlib.bare_upload:app", "-k", "aiohttp.GunicornWebWorker"),
        requires=("aiohttp.worker:GunicornWebWorker",),
    ),
    Stack(
        "uvicorn-bare",
        "bare ASGI application, uvicorn",
        _uvicorn_app("benchlib.bare_asgi_upload:app", "off"),
        requires=("uvicorn",),
    ),
    Stack(
        "sink",
        "raw socket discarding the body (the client alone)",
        lambda fd: [sys.executable, "-m", "benchlib.upload_client", "sink", "--fd", str(fd)],
    ),
)

_CHECK = """
import importlib, json, sys
out = {}
for spec in json.loads(sys.argv[1]):
    mod, _, attr = spec.partition(":")
    try:
        obj = importlib.import_module(mod)
        if attr:
            getattr(obj, attr)
        out[spec] = ""
    except BaseException as exc:
        out[spec] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def missing_requirements(
    needs: Mapping[str, tuple[str, ...]], env: Mapping[str, str], cwd: str
) -> dict[str, str]:
    """Import each name's requirements ("module" or "module:attr") in a fresh interpreter.

    Returns, for each name that can't run, the reason.
    """
    specs = sorted({spec for required in needs.values() for spec in required})
    if not specs:
        return {}
    proc = subprocess.run(
        [sys.executable, "-c", _CHECK, json.dumps(specs)],
        env=dict(env),
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        problems: dict[str, str] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {
            name: "requirement check failed: " + proc.stderr[-300:]
            for name, req in needs.items()
            if req
        }
    result: dict[str, str] = {}
    for name, required in needs.items():
        reasons = [f"{spec} ({problems[spec]})" for spec in required if problems.get(spec)]
        if reasons:
            result[name] = "cannot import " + "; ".join(reasons)
    return result
