"""The WebSocket section's phases on one running server: echo, idle memory, fan-out.

Each returns its figures; websocket.py runs them on every stack and keeps the best.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cpuload, memory
from .server import Server
from .ws_clients import Client, RedisCounters, fanout_rounds, start_all, stop_all
from .ws_stacks import WsStack

ECHO_SOCKETS, IDLE_SOCKETS, FANOUT_SOCKETS, CLIENT_PROCS = 50, 5000, 1000, 2
SCENARIOS = (("1 group", 1), ("10 groups", 10), ("250 groups", 250))


@dataclass(frozen=True)
class WsSettings:
    duration_s: float
    warmup_s: float
    rounds: int
    repeat: int
    gap_s: float = 0.05


def raise_fd_limit(need: int) -> int:
    """The soft fd limit up to the hard one (children inherit it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, need)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def worker_pids(server: Server) -> list[int]:
    """The server's worker processes: its children (not multiprocessing's helpers), or itself."""
    assert server.proc is not None
    kids = []
    for pid in memory.children(server.proc.pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmd and b"semaphore_tracker" not in cmd:
            kids.append(pid)
    return kids or [server.proc.pid]


def wait_workers(server: Server, n: int, timeout: float = 60.0) -> list[int]:
    """Poll until n workers run and the server answers; fan-out needs both workers accepting."""
    deadline = time.monotonic() + timeout
    while True:
        pids = worker_pids(server)
        if (len(pids) >= n or n == 1) and server.probe("/hello/sync/")[0] == 200:
            return pids
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.stack.name}: {len(pids)} of {n} workers after {timeout}s")
        time.sleep(0.1)


def rss_sum_kb(pids: list[int]) -> int:
    return sum(memory.rss_kb(p) for p in pids)


def _split(total: int, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    per = total // CLIENT_PROCS
    return [{**cfg, "sockets": per} for _ in range(CLIENT_PROCS)]


async def echo(server: Server, st: WsStack, ws: WsSettings, log: Path) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{server.port}{st.echo_path}"
    cfg = {"mode": "echo", "url": url, "warmup": ws.warmup_s, "duration": ws.duration_s}
    clients = await start_all(_split(ECHO_SOCKETS, cfg), log)
    try:
        for c in clients:
            await c.read()
        pids = worker_pids(server)
        for c in clients:
            await c.write("go")
        await asyncio.sleep(ws.warmup_s)
        cpu0 = sum(cpuload.process_cpu_s(p) for p in pids)
        await asyncio.sleep(ws.duration_s)
        cpu = sum(cpuload.process_cpu_s(p) for p in pids) - cpu0
        reports = [await c.read(ws.duration_s + 60) for c in clients]
    finally:
        await stop_all(clients)
    seconds = max(r["seconds"] for r in reports)
    trips = sum(r["round_trips"] for r in reports)
    return {
        "rps": trips / seconds,
        "worker_cpu": cpu / ws.duration_s,
        "client_cpu": sum(r["cpu_s"] for r in reports) / seconds,
        "errors": sum(len(r["errors"]) for r in reports),
        "error_samples": [e for r in reports for e in r["errors"]][:3],
    }


async def _hold(url: str, n: int, log: Path) -> list[Client]:
    return await start_all(_split(n, {"mode": "hold", "url": url}), log)


async def idle_memory(server: Server, st: WsStack, log: Path) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{server.port}{st.echo_path}"
    pids = worker_pids(server)
    warm = await _hold(url, 100, log)
    try:
        [await c.read() for c in warm]
    finally:
        await stop_all(warm)
    await asyncio.sleep(1.0)
    before = rss_sum_kb(pids)
    clients = await _hold(url, IDLE_SOCKETS, log)
    try:
        opened = sum([(await c.read(300))["open"] for c in clients])
        await asyncio.sleep(2.0)
        after = rss_sum_kb(pids)
    finally:
        await stop_all(clients)
    return {
        "rss_before_kb": before,
        "rss_after_kb": after,
        "sockets": opened,
        "kb_per_socket": (after - before) / opened,
    }


async def fanout(
    server: Server, st: WsStack, ws: WsSettings, log: Path, redis_url: str, tag: str
) -> dict[str, dict[str, Any]]:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(
        hosts=[{"address": redis_url, "max_connections": 2000}], capacity=1000
    )
    counters = RedisCounters(redis_url)
    pids = worker_pids(server)
    out: dict[str, dict[str, Any]] = {}
    try:
        for name, ngroups in SCENARIOS:
            groups = [f"b{tag}-{ngroups}-{i}" for i in range(ngroups)]
            base = f"ws://127.0.0.1:{server.port}{st.fanout_path}?g="
            urls = [base + groups[i % ngroups] for i in range(FANOUT_SOCKETS)]
            per = FANOUT_SOCKETS // CLIENT_PROCS
            join0 = counters.read()
            clients = await start_all(
                [
                    {
                        "mode": "hold",
                        "urls": urls[i * per : (i + 1) * per],
                        "ready": True,
                        "sockets": per,
                    }
                    for i in range(CLIENT_PROCS)
                ],
                log,
            )
            try:
                opened = [await c.read(300) for c in clients]
                join = RedisCounters.delta(join0, counters.read())
                split: dict[str, int] = {}
                for o in opened:
                    for pid, n in o["pids"].items():
                        split[pid] = split.get(pid, 0) + n
                await asyncio.sleep(0.5)
                cpu0 = sum(cpuload.process_cpu_s(p) for p in pids)
                r0 = counters.read()
                times, lost = await fanout_rounds(
                    clients, layer, groups, st.message_type, ws.rounds, ws.gap_s
                )
                red = RedisCounters.delta(r0, counters.read())
                cpu = sum(cpuload.process_cpu_s(p) for p in pids) - cpu0
                for c in clients:
                    await c.write("close")
                client_cpu = sum([(await c.read())["cpu_s"] for c in clients])
            finally:
                await stop_all(clients)
            n = max(1, len(times))
            out[name] = {
                "groups": ngroups,
                "rounds": len(times),
                "lost": lost,
                "p50_ms": 1000 * statistics.median(times) if times else None,
                "p99_ms": 1000 * percentile(times, 99) if times else None,
                "split": sorted(split.values(), reverse=True),
                "join_commands": join["commands"],
                "redis_cmds_per_round": red["commands"] / n,
                "redis_cmds_per_s": red["commands"] / red["at"],
                "redis_kb_per_round": (red["net_in"] + red["net_out"]) / 1024 / n,
                "redis_cpu_ms_per_round": 1000 * red["cpu_s"] / n,
                "worker_cpu_ms_per_round": 1000 * cpu / n,
                "client_cpu_s": client_cpu,
            }
            await asyncio.sleep(0.5)
    finally:
        counters.close()
        await layer.flush()
        await layer.close_pools()
    return out


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]
