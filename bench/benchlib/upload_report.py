"""The upload section's table, its targets (issue 14) and bench/results/UPLOAD.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .machine import one_line
from .report import md_table
from .upload import CEILINGS, ROWS, Row

Results = dict[str, dict[str, Any]]

HEAD = [
    "row",
    "stack",
    "MB/s",
    "x its ceiling",
    "first chunk ms",
    "RSS before MB",
    "peak RSS growth MB",
    "worker CPU",
    "worker CPU s/GiB",
    "client CPU",
    "others CPU",
    "chunks in the view",
    "notes",
]
TARGET_HEAD = ["row", "target", "measured", "goal", "verdict"]
RSS_GOAL_MB = 20.0
RATIO_GOAL = 0.8
FIRST_CHUNK_GOAL_MS = 50.0


def _ratio(results: Results, row: Row) -> float | None:
    """MB/s of `row` over its ceiling's (the bare application on the same server)."""
    ceiling = results.get(row.ceiling, {}).get("mb_s")
    mine = results.get(row.name, {}).get("mb_s")
    return mine / ceiling if ceiling and mine and row.name not in CEILINGS else None


def _title(name: str) -> str:
    return next((r.title for r in ROWS if r.name == name), name)


def rows(results: Results, measured: list[Row]) -> list[list[str]]:
    out: list[list[str]] = []
    for row in measured:
        cell = results.get(row.name)
        if cell is None:
            continue
        if "error" in cell:
            out.append([row.title, row.stack, *[""] * (len(HEAD) - 3), cell["error"][:100]])
            continue
        ratio = _ratio(results, row)
        notes = []
        if cell.get("runs", 1) > 1:
            notes.append(f"fastest of {cell['mb_s_runs']} MB/s")
        if cell.get("worker_restarted"):
            notes.append("worker restarted")
        chunks = ""
        if cell.get("chunks"):
            chunks = f"{cell['chunks']:,}, largest {cell['largest_chunk'] / 1024:,.0f} KiB"
        out.append(
            [
                row.title,
                row.stack,
                f"{cell['mb_s']:,.0f}",
                f"{ratio:.2f}x {row.ceiling}" if ratio is not None else "",
                f"{cell.get('worst_first_chunk_ms', cell['first_chunk_ms']):,.1f}",
                f"{cell['rss_before_kb'] / 1024:.1f}",
                f"{cell.get('worst_rss_peak_growth_mb', cell['rss_peak_growth_mb']):+.1f}",
                f"{cell['worker_cpu']:.2f}",
                f"{cell['best_cpu_s_per_gib']:.2f}",
                f"{cell['client_cpu']:.2f}",
                f"{cell['other_cpu']:.2f}",
                chunks,
                "; ".join(notes),
            ]
        )
    return out


def evaluate(results: Results, measured: list[Row]) -> list[list[str]]:
    """Issue 14's three targets for each of our rows that ran."""
    out: list[list[str]] = []
    for row in measured:
        cell = results.get(row.name, {})
        if not row.ours or not cell:
            continue
        if "error" in cell:
            out.append([row.title, "all", "error", "", "FAIL"])
            continue
        growth = cell.get("worst_rss_peak_growth_mb", cell["rss_peak_growth_mb"])
        first = cell.get("worst_first_chunk_ms", cell["first_chunk_ms"])
        ratio = _ratio(results, row)
        ceiling = results.get(row.ceiling, {}).get("mb_s")
        out += [
            [
                row.title,
                "peak RSS growth of the worker",
                f"{growth:+.1f} MB",
                f"< {RSS_GOAL_MB:g} MB",
                "PASS" if growth < RSS_GOAL_MB else "FAIL",
            ],
            [
                row.title,
                f"throughput vs {_title(row.ceiling)}",
                f"{ratio:.2f}x ({cell['mb_s']:,.0f} vs {ceiling:,.0f} MB/s)"
                if ratio
                else "no ceiling",
                f">= {RATIO_GOAL:g}x",
                "PASS" if ratio and ratio >= RATIO_GOAL else "FAIL",
            ],
            [
                row.title,
                "first chunk after the client starts sending",
                f"{first:,.1f} ms",
                f"< {FIRST_CHUNK_GOAL_MS:g} ms",
                "PASS" if first < FIRST_CHUNK_GOAL_MS else "FAIL",
            ],
        ]
    return out


def write_markdown(
    path: Path,
    meta: dict[str, Any],
    settings: dict[str, Any],
    stack_labels: dict[str, str],
    table: list[list[str]],
    targets: list[list[str]],
    skipped: dict[str, str],
) -> None:
    v = meta["versions"]
    lines = [
        "# async_handler benchmark: streaming uploads (issue 14)",
        "",
        f"- date: {meta['date']}",
        f"- machine: {one_line(meta)}",
        (
            f"- python {v['python']}, Django {v['django']}, aiohttp {v['aiohttp']}, "
            f"gunicorn {v['gunicorn']}, uvicorn {v['uvicorn']}"
        ),
        (
            f"- one {settings['size_bytes'] / 1024**3:g} GiB `application/octet-stream` POST "
            "per run to 127.0.0.1, into a view that sha256-hashes it and answers the digest "
            "(checked); one worker process per stack, a fresh server per run, warmed by an "
            f"{settings['warm_bytes'] // 1024**2} MiB upload; Django default MIDDLEWARE "
            "(the views are csrf_exempt), DEBUG=False"
        ),
        (
            "- client: a Python process with a raw socket, `sendall` of 1 MiB slices of a "
            "preallocated 16 MiB buffer; the `client` row sends into a socket that discards "
            "the body, the most the client can send"
        ),
        (
            f"- {settings['repeat']} run(s) per row, rounds in rotated order; MB/s (10^6 bytes) "
            "from the client's first byte to the whole answer, the fastest run kept; first "
            "chunk and peak RSS growth are the worst of all runs; load average "
            f"{meta.get('load_before', 0):.2f} before and {meta.get('load_after', 0):.2f} after"
        ),
        (
            "- `x its ceiling`: MB/s over that of the bare application on the same server: "
            "`ceiling` (bare aiohttp) for the gunicorn rows, `ceiling-uvicorn` (a bare ASGI "
            "application) for the uvicorn row; issue 14's throughput target is the first"
        ),
        (
            "- `first chunk`: from the client's first byte to the view's first chunk "
            "(`time.monotonic()` in both processes); `peak RSS growth`: the worker's VmRSS "
            "sampled every 20 ms (and VmHWM) during the upload, less its VmRSS before; CPU "
            "columns: CPUs' worth used during the upload by the worker, the client and other "
            "processes on the machine; `worker CPU s/GiB`: the worker's CPU seconds per GiB "
            "of body, the least of all runs, which other load on the machine disturbs less "
            "than MB/s"
        ),
        "",
        "## Rows",
        "",
        *[f"- `{name}`: {label}" for name, label in stack_labels.items()],
        *[f"- `{name}`: skipped, {why}" for name, why in skipped.items()],
        "",
        "## Throughput, first chunk and memory",
        "",
        md_table(HEAD, table),
        "",
        "## Targets (issue 14)",
        "",
        md_table(TARGET_HEAD, targets) if targets else "No row of ours ran.",
        "",
        "![MB/s, first chunk and peak RSS growth by row](upload.png)",
        "",
    ]
    path.write_text("\n".join(lines))
