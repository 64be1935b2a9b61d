"""`make bench`: loads each server stack with wrk, prints requests/s and p99, checks the targets.

Every figure is compared with peers measured in the same run, then written to bench/results/
(RESULTS.md, results.json, chart.png) together with a profile note of our worker (PROFILE.md).
Its PostgreSQL section runs realistic async views against a throwaway cluster (POSTGRES.md,
postgres.json, postgres.png). Its upload section streams a 2 GiB body into views that hash it
(UPLOAD.md, upload.json, upload.png).

Its WebSocket section (issue 12) compares our WebSocket views with Channels consumers on uvicorn
over one channel layer (WEBSOCKET.md, websocket.json, websocket.png).

Sections: `sqlite` (the main table and targets), `postgres`, `upload`, `profile`, `websocket`;
`--only` picks some.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    chart,
    machine,
    postgres,
    procs,
    profiling,
    project,
    report,
    runner,
    session,
    stacks,
    targets,
    upload_section,
    wrk,
    ws_section,
    ws_stacks,
)
from benchlib.workloads import PG_WORKLOADS, WORKLOADS, requirements, without_missing

SECTIONS = ("sqlite", "postgres", "upload", "profile", "websocket")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "-d", "--duration", type=float, default=10.0, help="seconds of load per run (default 10)"
    )
    p.add_argument(
        "-w", "--warmup", type=float, default=2.0, help="seconds of warm-up load before each run"
    )
    p.add_argument("-t", "--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "-r", "--repeat", type=int, default=1, help="runs per throughput pair; the fastest is kept"
    )
    p.add_argument(
        "--quick", action="store_true", help="3 s runs, 1 s warm-up, 10,000 mixed requests"
    )
    p.add_argument(
        "--mixed-requests",
        type=int,
        default=None,
        help="requests in the mixed run (default 50,000)",
    )
    p.add_argument(
        "--stacks", default="", help="comma-separated stack names to run (default: all available)"
    )
    p.add_argument(
        "--workloads", default="", help="comma-separated workload names to run (default: all)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=project.RESULTS_DIR,
        help="results folder (default bench/results)",
    )
    p.add_argument("--no-profile", action="store_true", help="skip profiling our worker afterwards")
    p.add_argument(
        "--profile", action="store_true", help="only profile our worker and write PROFILE.md"
    )
    p.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL section")
    p.add_argument(
        "--upload-mib",
        type=int,
        default=None,
        help="body size of the upload section in MiB (default 2048; 256 with --quick)",
    )
    p.add_argument(
        "--only",
        default="",
        help="comma-separated sections to run: sqlite, postgres, upload, profile, websocket "
        "(default: all)",
    )
    p.add_argument(
        "--ws-phases",
        default="echo,memory,fanout",
        help="WebSocket section: comma-separated phases to run (default echo,memory,fanout)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=30,
        help="WebSocket section: group_send rounds per fan-out scenario (default 30)",
    )
    p.add_argument("--list", action="store_true", help="list stacks and workloads, then exit")
    args = p.parse_args(argv)
    sections = _pick(args.only, list(SECTIONS), "sections")
    if args.profile:
        sections = {"profile"}
    if args.no_profile:
        sections.discard("profile")
    if args.no_postgres:
        sections.discard("postgres")
    args.sections = sections
    if args.quick:
        args.duration, args.warmup = min(args.duration, 3.0), min(args.warmup, 1.0)
        args.mixed_requests = args.mixed_requests or 10_000
        args.rounds = min(args.rounds, 10)
    args.upload_mib = args.upload_mib or (256 if args.quick else 2048)
    return args


def _pick(names: str, known: list[str], what: str) -> set[str]:
    wanted = {n.strip() for n in names.split(",") if n.strip()} or set(known)
    unknown = wanted - set(known)
    if unknown:
        sys.exit(f"unknown {what}: {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    return wanted


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.list:
        for st in stacks.STACKS:
            print(f"stack     {st.name:<12} {st.label}")
        for wl in WORKLOADS:
            print(f"workload  {wl.name:<12} {wl.title} on {', '.join(wl.stacks)}")
        for ws in ws_stacks.WS_STACKS:
            print(f"stack     {ws.name:<12} {ws.label} (websocket section)")
        for wl in PG_WORKLOADS:
            print(
                f"workload  {wl.name:<12} {wl.title} (postgres, c={wl.connections}) "
                f"on {', '.join(wl.stacks)}"
            )
        return 0
    procs.sigterm_as_interrupt()
    if args.sections == {"upload"}:
        # The upload section needs neither wrk nor the bench project's data.
        with project.data_dir() as data:
            upload_section.run(args.out, data, args.upload_mib * 1024 * 1024, args.repeat)
        return 0
    known = [s.name for s in stacks.STACKS]
    known += [s.name for s in ws_stacks.WS_STACKS if s.name not in known]
    want_stacks = _pick(args.stacks, known, "stacks")
    want_work = _pick(args.workloads, [w.name for w in WORKLOADS + PG_WORKLOADS], "workloads")
    raw_dir = args.out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    if args.sections == {"websocket"}:
        with project.data_dir() as data:
            ws_section.run(args, data, raw_dir)
        return 0
    wrk_path = wrk.ensure_wrk()
    cfg = runner.Settings(
        duration_s=args.duration,
        warmup_s=args.warmup,
        threads=args.threads,
        total_requests=args.mixed_requests,
        max_count_s=max(60.0, 12 * args.duration),
    )
    began = time.monotonic()
    main_rows = [w for w in WORKLOADS if w.name in want_work]
    if not main_rows and args.workloads:
        args.sections.discard("sqlite")
    with project.data_dir() as data:
        if "postgres" in args.sections:
            _postgres(args, cfg, wrk_path, data, raw_dir, want_stacks, want_work)
        if "upload" in args.sections:
            upload_section.run(args.out, data, args.upload_mib * 1024 * 1024, args.repeat)
        if "websocket" in args.sections:
            ws_section.run(args, data, raw_dir)
        if not args.sections & {"sqlite", "profile"}:
            print(f"==> done in {time.monotonic() - began:.0f}s; results in {args.out}", flush=True)
            return 0
        env = project.server_env(data)
        print(f"==> preparing the bench project in {data}", flush=True)
        project.prepare(env)
        candidates = [s for s in stacks.STACKS if s.name in want_stacks]
        workloads = main_rows
        needs = {s.name: s.requires for s in candidates} | requirements(workloads)
        missing = stacks.missing_requirements(needs, env, str(project.BENCH_DIR))
        for name, why in missing.items():
            print(f"==> skipping {name}: {why}", flush=True)
        available = [s for s in candidates if s.name not in missing]
        workloads = without_missing(workloads, missing)
        ours = [s for s in available if s.ours]
        measured: dict[str, float] = {}
        if "sqlite" in args.sections:
            measured = _bench(
                args,
                cfg,
                wrk_path,
                env,
                raw_dir,
                available,
                workloads,
                ours,
                missing,
            )
        if "profile" in args.sections:
            if ours:
                profiling.profile(
                    ours[0],
                    env,
                    wrk_path,
                    args.out,
                    duration_s=min(args.duration, 8.0),
                    threads=args.threads,
                    measured=measured,
                )
            else:
                print("==> no profile: our worker is not available", flush=True)
    print(f"==> done in {time.monotonic() - began:.0f}s; results in {args.out}", flush=True)
    return 0


def _postgres(
    args: argparse.Namespace,
    cfg: runner.Settings,
    wrk_path: str,
    data: Path,
    raw_dir: Path,
    want_stacks: set[str],
    want_work: set[str],
) -> None:
    """The PostgreSQL section: POSTGRES.md, postgres.json and postgres.png."""
    why = postgres.unavailable()
    if why:
        print(f"==> skipping the PostgreSQL section: {why}", flush=True)
        return
    workloads = [w for w in PG_WORKLOADS if w.name in want_work]
    candidates = [
        s
        for s in stacks.STACKS
        if s.name in want_stacks and any(s.name in w.stacks for w in workloads)
    ]
    if not workloads or not candidates:
        print("==> PostgreSQL section: nothing selected", flush=True)
        return
    env = project.server_env(data)
    needs = {s.name: s.requires for s in candidates} | requirements(workloads)
    needs["postgres"] = ("psycopg",)
    skipped = stacks.missing_requirements(needs, env, str(project.BENCH_DIR))
    if "postgres" in skipped:
        print(f"==> skipping the PostgreSQL section: {skipped['postgres']}", flush=True)
        return
    for name, why in skipped.items():
        print(f"==> PostgreSQL section: skipping {name}: {why}", flush=True)
    available = [s for s in candidates if s.name not in skipped]
    workloads = without_missing(workloads, skipped)
    load_before = machine.load()
    print(
        f"==> PostgreSQL section: {len(workloads)} rows on {len(available)} stacks"
        + (f"; load average {load_before:.2f}, expect noisy figures" if load_before > 0.5 else ""),
        flush=True,
    )
    raw = raw_dir / "postgres"
    raw.mkdir(parents=True, exist_ok=True)
    results, setting = postgres.run(
        cfg, wrk_path, data, raw, available, workloads, max(1, args.repeat)
    )
    meta = machine.describe()
    meta["load_before"], meta["load_after"] = round(load_before, 2), round(machine.load(), 2)
    meta["lscpu"] = machine.lscpu_head()
    names = [s.name for s in available if s.name in results]
    rows = report.postgres_rows(results, names, workloads)
    print("\n" + report.text_table(report.PG_HEAD, rows) + "\n", flush=True)
    settings = {
        **setting,
        "duration_s": cfg.duration_s,
        "slow_duration_s": max(w.duration_s(cfg.duration_s) for w in workloads),
        "warmup_s": cfg.warmup_s,
        "threads": cfg.threads,
        "repeat": args.repeat,
    }
    labels = {s.name: s.label for s in available if s.name in names}
    report.write_postgres_markdown(args.out / "POSTGRES.md", meta, settings, labels, rows, skipped)
    report.write_json(
        args.out / "postgres.json",
        {
            "meta": meta,
            "settings": settings,
            "stacks": labels,
            "skipped": skipped,
            "results": results,
        },
    )
    png = args.out / "postgres.png"
    if chart.draw_postgres(png, results, names, workloads, meta, setting["max_connections"]):
        print(f"==> wrote {png}", flush=True)
    print(f"==> wrote {args.out / 'POSTGRES.md'}", flush=True)


def _bench(
    args: argparse.Namespace,
    cfg: runner.Settings,
    wrk_path: str,
    env: dict[str, str],
    raw_dir: Path,
    available: list[stacks.Stack],
    workloads: list[Any],
    ours: list[stacks.Stack],
    skipped: dict[str, str],
) -> dict[str, float]:
    steps = session.plan(available, workloads, max(1, args.repeat))
    names = [s.name for s in available if any(st.name == s.name for _, _, st in steps)]
    print(
        f"==> {len(steps)} runs on {len(names)} stacks, about "
        f"{sum(wl.duration_s(cfg.duration_s) + cfg.warmup_s for wl, _, _ in steps):.0f}s of load "
        "plus the mixed run",
        flush=True,
    )
    load_before = machine.load()
    if load_before > 0.5:
        print(
            f"==> note: load average {load_before:.2f} before starting: something else is using "
            "the CPU, so expect noisy figures",
            flush=True,
        )
    results = session.run_all(steps, cfg, wrk_path, env, raw_dir)
    meta = machine.describe()
    meta["load_before"], meta["load_after"] = round(load_before, 2), round(machine.load(), 2)
    evaluated = targets.evaluate(results, [s.name for s in ours] or ["ours"])
    rows = report.result_rows(results, names, workloads)
    trows = report.target_rows(evaluated)
    print("\n" + report.text_table(report.RESULT_HEAD, rows))
    print("\n" + report.text_table(report.TARGET_HEAD, trows) + "\n", flush=True)
    settings = {
        "duration_s": cfg.duration_s,
        "warmup_s": cfg.warmup_s,
        "threads": cfg.threads,
        "repeat": args.repeat,
        "mixed_requests": cfg.total_requests or 50_000,
    }
    labels = {s.name: s.label for s in available if s.name in names}
    report.write_markdown(args.out / "RESULTS.md", meta, settings, labels, rows, trows, skipped)
    report.write_json(
        args.out / "results.json",
        {
            "meta": meta,
            "settings": settings,
            "stacks": labels,
            "skipped": skipped,
            "results": results,
            "targets": evaluated,
        },
    )
    if chart.draw(args.out / "chart.png", results, names, workloads, meta):
        print(f"==> wrote {args.out / 'chart.png'}", flush=True)
    mine = results.get(ours[0].name, {}) if ours else {}
    return {wl: fig["rps"] for wl, fig in mine.items() if "rps" in fig}


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
