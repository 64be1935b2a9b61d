"""Reading a cProfile dump of our worker: time per request by area and the costliest functions."""

from __future__ import annotations

import pstats
from dataclasses import dataclass

Key = tuple[str, int, str]

IDLE_NAMES = (
    "poll' of 'select.epoll",
    "acquire' of '_thread.lock",
    "select.select",
    "built-in method time.sleep",
    "get' of '_queue.SimpleQueue",
    "run_forever' of 'uvloop",
    "run_until_complete' of 'uvloop",
)
AREAS: tuple[tuple[str, str], ...] = (
    ("/async_handler/", "async_handler"),
    ("/django/db/", "Django ORM"),
    ("/sqlite3/", "Django ORM"),
    ("/middleware", "Django middleware"),
    ("/django/utils/deprecation.py", "Django middleware"),
    ("/django/contrib/", "Django contrib (sessions, auth, messages)"),
    ("/django/", "Django request/response/URL handling"),
    ("/asgiref/", "asgiref"),
    ("/aiohttp/", "aiohttp (HTTP parsing, server)"),
    ("/multidict/", "aiohttp (HTTP parsing, server)"),
    ("/yarl/", "aiohttp (HTTP parsing, server)"),
    ("/gunicorn/", "gunicorn"),
    ("/asyncio/", "asyncio event loop"),
    ("/concurrent/", "thread pool"),
    ("threading.py", "thread pool"),
    ("/bench_project/", "the views themselves"),
)


@dataclass
class Breakdown:
    total_s: float
    idle_s: float
    areas: list[tuple[str, float]]
    top_own: list[tuple[str, float, int]]
    top_ours: list[tuple[str, float, int]]
    requests: int = 0


def label(key: Key) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    parts = filename.replace("\\", "/").split("/")
    for package in ("async_handler", "bench_project"):
        if package in parts:
            return f"{'/'.join(parts[parts.index(package) :])}:{line} {name}"
    for anchor in ("site-packages", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor) :]
            break
    return f"{'/'.join(parts[-3:])}:{line} {name}"


def is_idle(key: Key) -> bool:
    text = key[2] if key[0] == "~" else ""
    return any(mark in text for mark in IDLE_NAMES)


def area_of(key: Key) -> str:
    filename = key[0].replace("\\", "/")
    if filename == "~":
        return "C calls (socket I/O, builtins)"
    for mark, name in AREAS:
        if mark in filename:
            return name
    return "other Python (stdlib)"


def analyse(path: str, requests: int, top: int = 12) -> Breakdown:
    raw = pstats.Stats(path).stats  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    idle = 0.0
    own: list[tuple[str, float, int]] = []
    ours: list[tuple[str, float, int]] = []
    for key, (_cc, calls, tottime, cumtime, _callers) in raw.items():
        if is_idle(key):
            idle += tottime
            continue
        area = area_of(key)
        areas[area] = areas.get(area, 0.0) + tottime
        own.append((label(key), tottime, calls))
        if area == "async_handler" and calls >= requests / 2:
            ours.append((label(key), cumtime, calls))
    busy = sum(areas.values())
    return Breakdown(
        total_s=busy,
        idle_s=idle,
        areas=sorted(areas.items(), key=lambda kv: -kv[1]),
        top_own=sorted(own, key=lambda r: -r[1])[:top],
        top_ours=sorted(ours, key=lambda r: -r[1])[:top],
        requests=requests,
    )
