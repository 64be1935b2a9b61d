"""One workload on one running server: warm-up, wrk load, worker RSS before, during, after."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cpuload, memory, wrk
from .server import READY_PATH, Server
from .workloads import Workload

FIRST_CHUNK_S = 5.0


@dataclass(frozen=True)
class Settings:
    duration_s: float
    warmup_s: float
    threads: int
    total_requests: int | None
    max_count_s: float
    # The logged-in session's key, sent as a cookie by rows with `logged_in`.
    session_cookie: str = ""


# Something watched during the measured run, for one stack: a context manager whose value has a
# `figures()` dict, merged into the run's figures (the PostgreSQL section's connection peaks).
Watch = Callable[[str], AbstractContextManager[Any]]


def measure(
    server: Server,
    wl: Workload,
    cfg: Settings,
    wrk_path: str,
    log_path: Path,
    watch: Watch | None = None,
) -> dict[str, Any]:
    """Warm up, record the worker's RSS, load it with wrk, record RSS again; return the figures."""
    paths = list(wl.paths_for(server.stack.name))
    headers = (f"Cookie: sessionid={cfg.session_cookie}",) if wl.logged_in else ()

    def load(seconds: float) -> wrk.WrkResult:
        return wrk.run(
            wrk_path,
            server.base_url,
            paths,
            connections=wl.connections,
            threads=cfg.threads,
            duration_s=seconds,
            timeout_s=wl.timeout_s,
            log_path=log_path,
            headers=headers,
        )

    load(cfg.warmup_s)
    settled_s = settle(server, wl.settle_s) if wl.settle_s else None
    log_start = server.log_size()
    pid = server.worker_pid()
    before = memory.rss_kb(pid)
    goal = (cfg.total_requests or wl.total_requests) if wl.total_requests else 0
    chunks: list[wrk.WrkResult] = []
    rss_trend: list[int] = []
    watching = watch(server.stack.name) if watch is not None else nullcontext()
    with (
        memory.PeakSampler(pid) as sampler,
        cpuload.OtherLoad(pid) as other,
        watching as watched,
    ):
        if not goal:
            chunks.append(load(wl.duration_s(cfg.duration_s)))
        else:
            spent = 0.0
            served = 0
            while served < goal and spent < cfg.max_count_s:
                rate = served / spent if spent else 0.0
                need = (goal - served) / rate if rate else FIRST_CHUNK_S
                seconds = min(max(1.0, math.ceil(need * 1.02)), cfg.max_count_s - spent, 30.0)
                chunk = load(max(1.0, seconds))
                chunks.append(chunk)
                spent += chunk.duration_s
                served += chunk.requests
                rss_trend.append(_safe_rss(server))
    if wl.settle_s:
        # A stack that queues requests keeps serving them after wrk has gone: let it drain
        # now, or it would still be running them while the next stack is measured.
        figures_drain_s = settle(server, wl.settle_s)
    after_pid = server.worker_pid()
    after = _safe_rss(server)
    figures = _summarise(
        chunks, restarted=after_pid != server.first_worker_pid or not server.alive()
    )
    figures["server_exceptions"] = server.log_tracebacks(log_start)
    figures["other_cpu"] = round(other.cpus, 2)
    if watched is not None:
        figures.update(watched.figures())
    if settled_s is not None:
        figures["settled_s"] = round(settled_s, 1)
        figures["drained_s"] = round(figures_drain_s, 1)
    if wl.measures_memory:
        peak = max(sampler.peak_kb, before, after)
        figures.update(
            rss_before_kb=before,
            rss_after_kb=after,
            rss_peak_kb=peak,
            rss_trend_kb=rss_trend,
            rss_growth_mb=round((after - before) / 1024, 2),
            rss_peak_growth_mb=round((peak - before) / 1024, 2),
        )
    return figures


def settle(server: Server, limit_s: float, quick_s: float = 0.3) -> float:
    """Wait until the server answers its ready path within quick_s, at most limit_s; seconds."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        asked = time.monotonic()
        status, _ = server.probe(READY_PATH, timeout=limit_s)
        if status == 200 and time.monotonic() - asked < quick_s:
            break
        time.sleep(0.1)
    return time.monotonic() - start


def _safe_rss(server: Server) -> int:
    try:
        return server.worker_rss_kb()
    except (OSError, RuntimeError):
        return 0


def _summarise(chunks: list[wrk.WrkResult], restarted: bool) -> dict[str, Any]:
    requests = sum(c.requests for c in chunks)
    seconds = sum(c.duration_s for c in chunks)
    errors: dict[str, int] = {}
    for c in chunks:
        for key, n in c.errors.items():
            errors[key] = errors.get(key, 0) + n
    worst = max(chunks, key=lambda c: c.latency_ms["p99"])
    ok = requests - errors.get("status", 0)
    return {
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "ok_rps": round(ok / seconds, 1) if seconds else 0.0,
        "requests": requests,
        "seconds": round(seconds, 2),
        "mb_per_s": round(sum(c.bytes for c in chunks) / seconds / 1e6, 1) if seconds else 0.0,
        "p50_ms": worst.latency_ms["p50"],
        "p99_ms": worst.latency_ms["p99"],
        "max_ms": max(c.latency_ms["max"] for c in chunks),
        "errors": sum(errors.values()),
        "error_kinds": {k: n for k, n in errors.items() if n},
        "worker_restarted": restarted,
    }
