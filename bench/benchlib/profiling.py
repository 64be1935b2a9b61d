"""Profiling our worker under wrk load into bench/results/PROFILE.md: where request time goes."""

from __future__ import annotations

from pathlib import Path

from . import machine, wrk
from .profile_report import Breakdown, analyse
from .project import BENCH_DIR
from .server import Server, ServerError
from .stacks import Stack
from .workloads import WORKLOADS

CONF = Path(__file__).with_name("profile_conf.py")
PROFILED = ("hello_async", "hello_sync", "orm_async")


def profile(
    stack: Stack,
    env: dict[str, str],
    wrk_path: str,
    out_dir: Path,
    duration_s: float,
    threads: int,
    measured: dict[str, float] | None = None,
) -> None:
    """Serve each profiled workload under cProfile, then summarise the dumps into PROFILE.md."""
    raw = out_dir / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    sections: list[str] = []
    (raw / "server-profile.log").unlink(missing_ok=True)
    for n, name in enumerate(PROFILED, 1):
        wl = next(w for w in WORKLOADS if w.name == name)
        dump = raw / f"profile-{name}.prof"
        dump.unlink(missing_ok=True)
        print(
            f"[profile {n}/{len(PROFILED)}] {stack.name} {wl.title} under cProfile ... ",
            end="",
            flush=True,
        )
        requests = 0
        try:
            with Server(
                stack,
                {**env, "BENCH_PROFILE_OUT": str(dump)},
                BENCH_DIR,
                raw / "server-profile.log",
                extra_args=("-c", str(CONF)),
            ) as server:
                for seconds in (1.0, duration_s):
                    res = wrk.run(
                        wrk_path,
                        server.base_url,
                        list(wl.paths),
                        connections=wl.connections,
                        threads=threads,
                        duration_s=seconds,
                        timeout_s=wl.timeout_s,
                        log_path=raw / "wrk-profile.log",
                    )
                    requests += res.requests
        except (ServerError, wrk.WrkError, OSError) as exc:
            print(f"failed: {exc}", flush=True)
            sections.append(f"## {wl.title}\n\nNot profiled: {exc}\n")
            continue
        if not dump.exists():
            print("no profile written", flush=True)
            sections.append(
                f"## {wl.title}\n\nThe worker wrote no profile (did it run gunicorn's "
                "post_worker_init and worker_exit hooks?).\n"
            )
            continue
        found = analyse(str(dump), requests)
        print(
            f"{requests:,} requests, {found.total_s / max(requests, 1) * 1e6:.0f} us CPU each",
            flush=True,
        )
        sections.append(
            _section(wl.title, wl.paths[0], requests, found, (measured or {}).get(name))
        )
    meta = machine.describe()
    head = [
        "# Where our worker's time per request goes",
        "",
        (
            f"Measured {meta['date']} on {machine.one_line(meta)} with `{stack.name}` "
            f"({stack.label}), one worker, cProfile counting CPU time (time.thread_time) on "
            f"every thread of the worker, wrk -c64 -t{threads} for {duration_s:g}s after a 1 s "
            "warm-up. cProfile slows Python code several-fold, so read the shares more than the "
            "absolute microseconds. A coroutine counts one call each time it resumes."
        ),
        "",
    ]
    (out_dir / "PROFILE.md").write_text("\n".join(head + sections))
    print(f"==> wrote {out_dir / 'PROFILE.md'}", flush=True)


def _section(title: str, path: str, requests: int, b: Breakdown, rps: float | None) -> str:
    per = 1e6 / max(requests, 1)
    unprofiled = (
        f" Without the profiler, in the benchmark just run, one worker served {rps:,.0f} "
        f"requests/s here: {1e6 / rps:,.0f} us of wall time per request."
        if rps
        else ""
    )
    lines = [
        f"## {title} (`GET {path}`)",
        "",
        (
            f"{requests:,} requests; {b.total_s * per:,.0f} us of CPU per request under the "
            f"profiler (plus {max(0.0, b.idle_s) * per:,.0f} us in epoll, lock and queue waits)."
            + unprofiled
        ),
        "",
    ]
    shares = [f"{name} {sec / b.total_s:.0%}" for name, sec in b.areas[:4] if b.total_s]
    lines += ["In short: " + ", ".join(shares) + ".", ""]
    lines += ["| area | us / request | share |", "|---|---:|---:|"]
    lines += [
        f"| {name} | {sec * per:,.1f} | {sec / b.total_s:.1%} |"
        for name, sec in b.areas
        if b.total_s
    ]
    lines += [
        "",
        "Costliest functions by own time:",
        "",
        "| function | us / request | calls / request |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| `{name}` | {sec * per:,.1f} | {calls / max(requests, 1):.1f} |"
        for name, sec, calls in b.top_own
    ]
    if b.top_ours:
        lines += [
            "",
            "async_handler functions by cumulative time:",
            "",
            "| function | us / request | calls / request |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| `{name}` | {sec * per:,.1f} | {calls / max(requests, 1):.1f} |"
            for name, sec, calls in b.top_ours
        ]
    return "\n".join(lines) + "\n"
