"""The WebSocket section (issue 12's benchmarks): echo, fan-out and idle memory, ours and Channels.

A throwaway redis-server (tests/services/redis.py, on a unix socket) carries CHANNEL_LAYERS for
every stack and is always stopped. Servers bind 127.0.0.1 through an inherited socket; the load
comes from ws_client.py processes. Per repeat and stack, in turn:

- echo: one worker, 50 sockets over two client processes, each sending and awaiting its echo;
- memory: one fresh worker, warmed by 100 sockets opened and closed, then the worker's RSS
  before and after 5,000 idle echo sockets (two client processes) are open;
- fan-out: two workers, 1,000 sockets in 1, 10 or 250 groups; each round group_sends one message
  to every group from this process and times until every socket has it. Redis INFO counters
  are read around the joins and around the rounds.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from . import project
from .server import Server
from .ws_phases import (
    IDLE_SOCKETS,
    SCENARIOS,
    WsSettings,
    echo,
    fanout,
    idle_memory,
    raise_fd_limit,
    wait_workers,
)
from .ws_stacks import WsStack

if str(project.REPO_DIR) not in sys.path:
    sys.path.insert(1, str(project.REPO_DIR))

from tests.services import redis as redis_service  # noqa: E402

__all__ = ["SCENARIOS", "WsSettings", "run"]
Results = dict[str, dict[str, dict[str, Any]]]


def _better(old: dict[str, Any] | None, new: dict[str, Any], key: str, low: bool) -> bool:
    if old is None or old.get(key) is None:
        return True
    if new.get(key) is None:
        return False
    return new[key] < old[key] if low else new[key] > old[key]


def run(
    stacks: list[WsStack],
    env: dict[str, str],
    raw: Path,
    ws: WsSettings,
    phases: tuple[str, ...] = ("echo", "memory", "fanout"),
) -> tuple[Results, dict[str, Any]]:
    """Start redis, measure every phase on every stack `repeat` times (best kept), stop redis."""
    fd_limit = raise_fd_limit(IDLE_SOCKETS * 2 + 1000)
    results: Results = {st.name: {} for st in stacks}
    log = raw / "ws_clients.log"
    with redis_service.RedisServer() as redis:
        env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "bench_project.ws_settings",
            "BENCH_REDIS_URL": redis.url,
        }
        for phase in phases:
            for rep in range(ws.repeat):
                for st in stacks:
                    if (st.echo_path if phase != "fanout" else st.fanout_path) is None:
                        continue
                    workers = 2 if phase == "fanout" else 1
                    print(
                        f"==> websocket {phase} on {st.name} ({workers} worker"
                        f"{'s' * (workers > 1)}), run {rep + 1}/{ws.repeat}",
                        flush=True,
                    )
                    with Server(
                        st.server_stack(workers), env, project.BENCH_DIR, raw / f"ws-{st.name}.log"
                    ) as server:
                        wait_workers(server, workers)
                        _measure(phase, server, st, ws, log, redis.url, rep, results)
    return results, {"fd_limit": fd_limit}


def _measure(
    phase: str,
    server: Server,
    st: WsStack,
    ws: WsSettings,
    log: Path,
    redis_url: str,
    rep: int,
    results: Results,
) -> None:
    mine = results[st.name]
    try:
        if phase == "echo":
            got = asyncio.run(echo(server, st, ws, log))
            print(
                f"    {got['rps']:,.0f} round trips/s, worker CPU {got['worker_cpu']:.2f}, "
                f"clients CPU {got['client_cpu']:.2f}",
                flush=True,
            )
            if _better(mine.get("echo"), got, "rps", low=False):
                mine["echo"] = got
        elif phase == "memory":
            got = asyncio.run(idle_memory(server, st, log))
            print(
                f"    {got['kb_per_socket']:.1f} KB per idle socket "
                f"({got['rss_before_kb'] / 1024:.1f} -> {got['rss_after_kb'] / 1024:.1f} MB)",
                flush=True,
            )
            if _better(mine.get("memory"), got, "kb_per_socket", low=True):
                mine["memory"] = got
        else:
            found = asyncio.run(fanout(server, st, ws, log, redis_url, f"{st.name}{rep}"))
            for name, got in found.items():
                print(
                    f"    {name}: p50 {got['p50_ms'] or 0:.1f} ms, p99 {got['p99_ms'] or 0:.1f} "
                    f"ms, {got['redis_cmds_per_round']:.0f} Redis commands per round, "
                    f"{got['rounds']} rounds, {got['lost']} lost, split {got['split']}",
                    flush=True,
                )
                key = "fanout " + name
                if _better(mine.get(key), got, "p50_ms", low=True):
                    mine[key] = got
    except Exception as exc:
        print(f"    {phase} on {st.name} failed: {exc!r}", flush=True)
        mine.setdefault(
            phase if phase != "fanout" else "fanout 1 group", {"error": repr(exc)[:300]}
        )
