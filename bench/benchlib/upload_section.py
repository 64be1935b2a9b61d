"""The upload section of `make bench`: runs the rows, prints them, writes UPLOAD.md,
upload.json and upload.png."""

from __future__ import annotations

from pathlib import Path

from . import chart, machine, project, report, stacks, upload, upload_client, upload_report


def run(out: Path, data: Path, size: int, repeat: int) -> None:
    """Measure every row whose imports work, `repeat` times, with a `size`-byte body."""
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    repeat = max(1, repeat)
    env = upload.server_env(project.server_env(data), data)
    missing = stacks.missing_requirements(upload.rows_needs(), env, str(project.BENCH_DIR))
    for name, why in missing.items():
        print(f"==> upload section: skipping {name}: {why}", flush=True)
    rows = [r for r in upload.ROWS if r.name not in missing]
    load_before = machine.load()
    print(
        f"==> upload section: {len(rows)} rows x {repeat}, {size / 1024**2:,.0f} MiB each"
        + (f"; load average {load_before:.2f}, expect noisy figures" if load_before > 0.5 else ""),
        flush=True,
    )
    digest = upload_client.expected_sha256(size)
    results = upload.run(rows, env, raw, size, digest, repeat)
    meta = machine.describe()
    meta["load_before"], meta["load_after"] = round(load_before, 2), round(machine.load(), 2)
    table = upload_report.rows(results, rows)
    verdicts = upload_report.evaluate(results, rows)
    print("\n" + report.text_table(upload_report.HEAD, table))
    if verdicts:
        print("\n" + report.text_table(upload_report.TARGET_HEAD, verdicts), flush=True)
    settings = {"size_bytes": size, "warm_bytes": upload.WARM_BYTES, "repeat": repeat}
    labels = {r.name: f"{r.title}: POST {r.path} on {r.server.label}" for r in rows}
    upload_report.write_markdown(
        out / "UPLOAD.md", meta, settings, labels, table, verdicts, missing
    )
    report.write_json(
        out / "upload.json",
        {
            "meta": meta,
            "settings": settings,
            "rows": labels,
            "skipped": missing,
            "results": results,
        },
    )
    goals = (upload_report.FIRST_CHUNK_GOAL_MS, upload_report.RSS_GOAL_MB)
    png = out / "upload.png"
    if chart.draw_upload(png, results, [(r.name, r.title) for r in rows], meta, goals):
        print(f"==> wrote {png}", flush=True)
    print(f"==> wrote {out / 'UPLOAD.md'}", flush=True)
