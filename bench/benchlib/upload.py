"""The upload section: one large body into a view that hashes it, row by row, each on a fresh
server with one worker.

Each row starts its stack (`--bind fd://N`, `--no-control-socket`), warms it with a small upload,
then posts the large one with `upload_client` in its own process while sampling the worker's
VmRSS every 20 ms; VmHWM read before and after catches a peak between two samples. The view
answers `time.monotonic()` of its first chunk; the client's clock is the same (CLOCK_MONOTONIC is
system-wide on Linux), so `first chunk` is the time from the client's first byte to the view's
first chunk.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cpuload, memory
from .project import BENCH_DIR
from .server import Server, ServerError
from .stacks import STACKS, UPLOAD_PEERS, Stack

SETTINGS = "bench_project.upload_settings"
WARM_BYTES = 8 * 1024 * 1024
SAMPLE_S = 0.02
_BY_NAME = {s.name: s for s in (*STACKS, *UPLOAD_PEERS)}
_STREAMING = "async_handler.streaming:stream_body"


@dataclass(frozen=True)
class Row:
    """One measured row: a view on a stack. `ours` rows are held to the targets."""

    name: str
    title: str
    stack: str
    path: str
    requires: tuple[str, ...] = ()
    ours: bool = False
    #: The row this one's throughput is compared with: the bare application on the same server.
    ceiling: str = "ceiling"

    @property
    def server(self) -> Stack:
        return _BY_NAME[self.stack]


ROWS: tuple[Row, ...] = (
    Row("streamed", "@stream_body view", "ours", "/upload/streamed/", (_STREAMING,), ours=True),
    Row(
        "streamed-uvicorn",
        "@stream_body view, our ASGI app",
        "ours-uvicorn",
        "/upload/streamed/",
        (_STREAMING,),
        ours=True,
        ceiling="ceiling-uvicorn",
    ),
    Row("spooled", "view reading the spooled body", "ours", "/upload/spooled/"),
    Row("ceiling", "bare aiohttp, content.readany()", "aiohttp", "/upload/"),
    Row("ceiling-uvicorn", "bare ASGI app, receive()", "uvicorn-bare", "/upload/"),
    Row("client", "client into a discarding socket", "sink", "/upload/"),
)
CEILINGS = ("ceiling", "ceiling-uvicorn")


def rows_needs() -> dict[str, tuple[str, ...]]:
    """Each row's imports, its stack's included, for stacks.missing_requirements."""
    return {row.name: (*row.server.requires, *row.requires) for row in ROWS}


def server_env(env: dict[str, str], data: Path) -> dict[str, str]:
    """The upload settings, and temporary files (the spooled body) in the run's data folder."""
    return {**env, "DJANGO_SETTINGS_MODULE": SETTINGS, "TMPDIR": str(data)}


def post(port: int, path: str, size: int, timeout: float) -> dict[str, Any]:
    """Run the client in its own process, so that it has a CPU of its own; its JSON result."""
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "benchlib.upload_client", "send"),
            *("--port", str(port), "--path", path, "--size", str(size)),
        ],
        cwd=str(BENCH_DIR),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"client failed ({proc.returncode}): {proc.stderr[-400:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(row: Row, env: dict[str, str], log: Path, size: int, digest: str) -> dict[str, Any]:
    """Start the row's server, warm it, post `size` bytes; the figures, or {"error": ...}."""
    timeout = max(120.0, size / 20e6)
    try:
        with Server(row.server, env, BENCH_DIR, log) as server:
            warm = post(server.port, row.path, WARM_BYTES, timeout)
            if warm["status"] != 200:
                return {"error": f"warm-up answered {warm['status']}: {warm['answer']}"}
            pid = server.worker_pid()
            rss_before, hwm_before = memory.rss_kb(pid), memory.rss_kb(pid, "VmHWM")
            cpu_before = cpuload.process_cpu_s(pid)
            with memory.PeakSampler(pid, SAMPLE_S) as peak, cpuload.OtherLoad(pid) as others:
                result = post(server.port, row.path, size, timeout)
            hwm_after = memory.rss_kb(pid, "VmHWM")
            rss_after = memory.rss_kb(pid)
            worker_cpu = cpuload.process_cpu_s(pid) - cpu_before
            restarted = server.worker_pid() != pid
    except (ServerError, RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    answer = result["answer"]
    problem = _check(result, size, digest)
    if problem:
        return {"error": problem}
    elapsed = result["done"] - result["start"]
    # A VmHWM that rose during the upload is the true peak, even between two samples.
    peak_kb = max(peak.peak_kb, rss_after, hwm_after if hwm_after > hwm_before else 0)
    return {
        "bytes": size,
        "seconds": elapsed,
        "mb_s": size / elapsed / 1e6,
        "first_chunk_ms": (answer["first_chunk"] - result["start"]) * 1000,
        "rss_before_kb": rss_before,
        "rss_peak_kb": peak_kb,
        "rss_after_kb": rss_after,
        "rss_peak_growth_mb": (peak_kb - rss_before) / 1024,
        "worker_cpu": worker_cpu / elapsed,
        "worker_cpu_s_per_gib": worker_cpu / (size / 1024**3),
        "client_cpu": result["client_cpu_s"] / elapsed,
        "other_cpu": others.cpus,
        "chunks": answer.get("chunks"),
        "largest_chunk": answer.get("largest_chunk"),
        "worker_restarted": restarted,
    }


def _check(result: dict[str, Any], size: int, digest: str) -> str:
    """Why this answer does not count, or "" when the view got and hashed the whole body."""
    answer = result["answer"]
    if result["status"] != 200:
        return f"answered {result['status']}: {str(answer)[:200]}"
    if answer.get("bytes") != size:
        return f"view got {answer.get('bytes')} bytes of {size}"
    if answer.get("sha256") and answer["sha256"] != digest:
        return "view's sha256 differs from the body's"
    if not answer.get("first_chunk"):
        return "no first-chunk time in the answer"
    return ""


def run(
    rows: list[Row], env: dict[str, str], raw: Path, size: int, digest: str, repeat: int
) -> dict[str, dict[str, Any]]:
    """Every row `repeat` times, rounds in rotated order; per row the fastest run, plus the
    worst peak RSS growth and first chunk, and the least worker CPU per GiB, of all its runs."""
    runs: dict[str, list[dict[str, Any]]] = {row.name: [] for row in rows}
    for rnd in range(repeat):
        shift = rnd % len(rows)
        for row in rows[shift:] + rows[:shift]:
            tag = f" #{rnd + 1}" if repeat > 1 else ""
            print(f"    {row.name + tag:<22} {row.stack:<13} ", end="", flush=True)
            began = time.monotonic()
            fig = measure(row, env, raw / f"upload-{row.name}.log", size, digest)
            runs[row.name].append(fig)
            print(f"{describe(fig)}  [{time.monotonic() - began:.0f}s]", flush=True)
    return {name: _best(figs) for name, figs in runs.items()}


def _best(figs: list[dict[str, Any]]) -> dict[str, Any]:
    good = [f for f in figs if "error" not in f]
    if not good:
        return figs[-1]
    chosen = dict(max(good, key=lambda f: f["mb_s"]))
    chosen["runs"] = len(good)
    chosen["mb_s_runs"] = [round(f["mb_s"], 1) for f in good]
    chosen["worst_rss_peak_growth_mb"] = max(f["rss_peak_growth_mb"] for f in good)
    chosen["worst_first_chunk_ms"] = max(f["first_chunk_ms"] for f in good)
    chosen["best_cpu_s_per_gib"] = min(f["worker_cpu_s_per_gib"] for f in good)
    return chosen


def describe(fig: dict[str, Any]) -> str:
    if "error" in fig:
        return "ERROR: " + fig["error"].splitlines()[0][:160]
    return (
        f"{fig['mb_s']:8,.1f} MB/s  first chunk {fig['first_chunk_ms']:9,.1f} ms  "
        f"RSS {fig['rss_before_kb'] / 1024:.1f} MB, peak +{fig['rss_peak_growth_mb']:.1f} MB  "
        f"CPU worker {fig['worker_cpu']:.2f} client {fig['client_cpu']:.2f} "
        f"others {fig['other_cpu']:.2f}"
        + ("  WORKER RESTARTED" if fig.get("worker_restarted") else "")
    )
