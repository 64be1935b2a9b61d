"""Running every planned (stack, workload) pair with all servers up at once, stack after stack per
workload, so that the figures compared with each other were measured close together in time."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from . import runner, wrk
from .project import BENCH_DIR
from .server import Server, ServerError
from .stacks import Stack
from .workloads import Workload

Results = dict[str, dict[str, dict[str, Any]]]


def plan(
    stacks: list[Stack], workloads: list[Workload], repeat: int
) -> list[tuple[Workload, int, Stack]]:
    """Workload by workload, each round trying the stacks in rotated order; memory runs once."""
    steps: list[tuple[Workload, int, Stack]] = []
    for wl in workloads:
        mine = [s for s in stacks if s.name in wl.stacks]
        for rnd in range(1 if wl.measures_memory else repeat):
            shift = rnd % len(mine) if mine else 0
            steps += [(wl, rnd, s) for s in mine[shift:] + mine[:shift]]
    return steps


def describe(fig: dict[str, Any]) -> str:
    if "error" in fig:
        return "ERROR: " + fig["error"].splitlines()[0][:160]
    text = (
        f"{fig['rps']:>9,.1f} req/s  p99 {fig['p99_ms']:8.1f} ms  others {fig['other_cpu']:.1f} CPU"
    )
    if fig.get("errors"):
        text += f"  errors {fig['errors']} {fig['error_kinds']}"
    if "rss_growth_mb" in fig:
        text += (
            f"  RSS {fig['rss_before_kb'] / 1024:.1f} -> {fig['rss_after_kb'] / 1024:.1f} MB"
            f" (peak {fig['rss_peak_kb'] / 1024:.1f} MB, {fig['requests']:,} requests)"
        )
    if "db_peak" in fig:
        text += f"  DB conns peak {fig['db_peak']} (all {fig['db_peak_all']})"
    logged = sum(fig.get("server_exceptions", {}).values())
    if logged:
        text += f"  server logged {logged} exceptions"
    if fig.get("worker_restarted"):
        text += "  WORKER RESTARTED"
    return text


class Servers:
    """Every stack's server, started on first use and started again if it has exited."""

    def __init__(
        self,
        exits: ExitStack,
        env: dict[str, str],
        raw_dir: Path,
        stack_env: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.exits = exits
        self.env = env
        self.raw_dir = raw_dir
        self.stack_env = stack_env or {}
        self.running: dict[str, Server] = {}
        self.failed: dict[str, str] = {}

    def get(self, stack: Stack) -> Server:
        if stack.name in self.failed:
            raise ServerError(self.failed[stack.name])
        server = self.running.get(stack.name)
        if server is not None and server.alive():
            return server
        if server is not None:
            print(f"    {stack.name} server had exited; starting it again", flush=True)
        log = self.raw_dir / f"server-{stack.name}.log"
        if server is None:
            log.unlink(missing_ok=True)
        try:
            env = {**self.env, **self.stack_env.get(stack.name, {})}
            server = self.exits.enter_context(Server(stack, env, BENCH_DIR, log))
        except ServerError as exc:
            self.failed[stack.name] = str(exc)
            raise
        print(
            f"==> {stack.name} ({stack.label}) on {server.base_url}, "
            f"worker pid {server.first_worker_pid}",
            flush=True,
        )
        self.running[stack.name] = server
        return server


def run_all(
    steps: list[tuple[Workload, int, Stack]],
    cfg: runner.Settings,
    wrk_path: str,
    env: dict[str, str],
    raw_dir: Path,
    stack_env: Mapping[str, Mapping[str, str]] | None = None,
    watch: runner.Watch | None = None,
) -> Results:
    """Measure every step; a failed run is recorded as an error and the rest go on.

    `stack_env` adds to one stack's environment; `watch` is watched during each measured run.
    """
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with ExitStack() as exits:
        servers = Servers(exits, env, raw_dir, stack_env)
        for n, (wl, rnd, stack) in enumerate(steps, 1):
            try:
                server = servers.get(stack)
            except ServerError as exc:
                runs.setdefault((stack.name, wl.name), []).append({"error": str(exc)})
                continue
            tag = f" #{rnd + 1}" if rnd else ""
            print(
                f"[{n:>2}/{len(steps)}] {stack.name:<12} {wl.title + tag:<22} "
                f"c={wl.connections:<3} ",
                end="",
                flush=True,
            )
            started = time.monotonic()
            fig = _measure(server, wl, cfg, wrk_path, raw_dir / f"wrk-{stack.name}.log", watch)
            runs.setdefault((stack.name, wl.name), []).append(fig)
            print(f"{describe(fig)}  [{time.monotonic() - started:.0f}s]", flush=True)
    results: Results = {}
    for (stack_name, wl_name), figs in runs.items():
        results.setdefault(stack_name, {})[wl_name] = _best(figs)
    return results


def _best(figs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of the repeated runs: other load on the machine only ever slows a run."""
    good = [f for f in figs if "error" not in f]
    if not good:
        return figs[-1]
    chosen = dict(max(good, key=lambda f: f["rps"]))
    if len(good) > 1:
        chosen["rps_runs"] = [f["rps"] for f in good]
    return chosen


def _measure(
    server: Server,
    wl: Workload,
    cfg: runner.Settings,
    wrk_path: str,
    log: Path,
    watch: runner.Watch | None = None,
) -> dict[str, Any]:
    try:
        return runner.measure(server, wl, cfg, wrk_path, log, watch)
    except (wrk.WrkError, OSError, RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
