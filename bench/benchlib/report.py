"""Turning the run's figures into a console table, bench/results/RESULTS.md and results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .machine import one_line
from .workloads import Workload

Results = dict[str, dict[str, dict[str, Any]]]
PEERS = ("gthread", "asgi")


def _num(value: Any, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def result_rows(results: Results, stacks: list[str], workloads: list[Workload]) -> list[list[str]]:
    """One row per (workload, stack) that ran, with ratios to gthread and -k asgi on the same."""
    rows: list[list[str]] = []
    for wl in workloads:
        for stack in stacks:
            cell = results.get(stack, {}).get(wl.name)
            if cell is None:
                continue
            if "error" in cell:
                rows.append(
                    [
                        wl.title,
                        stack,
                        *[""] * (len(RESULT_HEAD) - 3),
                        "error: " + cell["error"][:80],
                    ]
                )
                continue
            ratios = []
            for peer in PEERS:
                ref = results.get(peer, {}).get(wl.name, {}).get("rps")
                ratios.append(f"{cell['rps'] / ref:.2f}x" if ref and peer != stack else "")
            notes = []
            if cell.get("worker_restarted"):
                notes.append("worker restarted")
            for last, count in cell.get("server_exceptions", {}).items():
                notes.append(f"server logged {count}x {last.split(':')[0].split('.')[-1]}")
            if wl.min_duration_s:
                notes.append(f"{cell['seconds']:.0f} s run")
            if cell.get("rss_growth_mb") is not None:
                notes.append(
                    f"RSS {cell['rss_before_kb'] / 1024:.1f} -> "
                    f"{cell['rss_after_kb'] / 1024:.1f} MB, "
                    f"peak {cell['rss_peak_kb'] / 1024:.1f} MB, "
                    f"{cell['requests']:,} requests"
                )
            rows.append(
                [
                    wl.title,
                    stack,
                    f"{cell['rps']:,.0f}",
                    _num(cell.get("p99_ms"), ".1f"),
                    *ratios,
                    str(cell.get("errors", 0)),
                    _num(cell.get("other_cpu"), ".1f"),
                    _num(cell.get("rss_growth_mb"), "+.2f"),
                    _num(cell.get("rss_peak_growth_mb"), "+.2f"),
                    "; ".join(notes),
                ]
            )
    return rows


RESULT_HEAD = [
    "workload",
    "stack",
    "req/s",
    "p99 ms",
    "x gthread",
    "x asgi",
    "errors",
    "others CPU",
    "RSS growth MB",
    "RSS peak growth MB",
    "notes",
]
TARGET_HEAD = ["stack", "target", "measured", "goal", "verdict"]


def target_rows(evaluated: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for row in evaluated:
        score = row["score"]
        if score is None:
            shown = ""
        elif "MB" in row["target"] or row["peer"] is None:
            shown = f"{score:,.2f}" if "MB" in row["target"] else f"{score:,.0f} req/s"
        else:
            shown = f"{score:.2f}x ({row['value']:,.0f} vs {row['peer']:,.0f})"
        rows.append([row["stack"], row["target"], shown, row["goal"], row["verdict"]])
    return rows


def text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c).replace("|", "/") for c in r) + " |" for r in rows]
    return "\n".join(out)


def write_markdown(
    path: Path,
    meta: dict[str, Any],
    settings: dict[str, Any],
    stack_labels: dict[str, str],
    results_rows: list[list[str]],
    targets: list[list[str]],
    skipped: dict[str, str],
) -> None:
    v = meta["versions"]
    lines = [
        "# async_handler benchmark results",
        "",
        f"- date: {meta['date']}",
        f"- machine: {one_line(meta)}",
        (
            f"- python {v['python']}, Django {v['django']}, aiohttp {v['aiohttp']}, "
            f"gunicorn {v['gunicorn']}, asgiref {v['asgiref']}, uvloop {v['uvloop']}, "
            f"uvicorn {v['uvicorn']}"
        ),
        (
            f"- wrk: -t{settings['threads']} -d{settings['duration_s']:g}s after a "
            f"{settings['warmup_s']:g}s warm-up; one worker process per stack; Django default "
            "MIDDLEWARE, DEBUG=False, SQLite; "
            f"the mixed run serves {settings['mixed_requests']:,} requests"
        ),
        (
            f"- {settings['repeat']} run(s) per throughput pair, the fastest kept; load average "
            f"{meta.get('load_before', 0):.2f} before and {meta.get('load_after', 0):.2f} after"
        ),
        (
            "- figures are only comparable within this run: read the ratios; `others CPU` is "
            "how many CPUs' worth other processes on the machine used during that run"
        ),
        "",
        "## Stacks",
        "",
        *[f"- `{name}`: {label}" for name, label in stack_labels.items()],
        *[f"- `{name}`: skipped, {why}" for name, why in skipped.items()],
        "",
        "## Throughput and latency",
        "",
        md_table(RESULT_HEAD, results_rows),
        "",
        "## Targets (issue 3)",
        "",
        md_table(TARGET_HEAD, targets),
        "",
        "![requests per second by workload and stack](chart.png)",
        "",
    ]
    path.write_text("\n".join(lines))


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
