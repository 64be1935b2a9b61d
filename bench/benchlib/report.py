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
            if row.get("paired") is not None:
                shown += f"; paired median {row['paired']:.2f}x"
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


PG_HEAD = [
    "view",
    "conns",
    "stack",
    "req/s",
    "2xx req/s",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "socket errors",
    "peak DB conns",
    "others CPU",
    "notes",
]
SOCKET_ERRORS = ("connect", "read", "write", "timeout")


def postgres_rows(
    results: Results, stacks: list[str], workloads: list[Workload]
) -> list[list[str]]:
    """The PostgreSQL section: one row per (row, stack), with errors split and the DB peak."""
    rows: list[list[str]] = []
    for wl in workloads:
        for stack in stacks:
            cell = results.get(stack, {}).get(wl.name)
            if cell is None:
                continue
            head = [wl.title, str(wl.connections), stack]
            if "error" in cell:
                rows.append([*head, *[""] * (len(PG_HEAD) - 4), "error: " + cell["error"][:80]])
                continue
            kinds = cell.get("error_kinds", {})
            notes = []
            if cell.get("worker_restarted"):
                notes.append("worker restarted")
            logged = cell.get("server_exceptions", {})
            if logged:
                last, count = max(logged.items(), key=lambda kv: kv[1])
                kind, _, message = last.partition(": ")
                if "FATAL:" in message:
                    message = "FATAL: " + message.split("FATAL:", 1)[1].strip()
                notes.append(
                    f"server logged {sum(logged.values())} exceptions, most often "
                    f"({count}x) {kind.split('.')[-1]}: {message[-60:]}"
                )
            if cell.get("settled_s", 0) >= 1 or cell.get("drained_s", 0) >= 1:
                notes.append(
                    f"queued requests drained {cell['settled_s']:.0f} s after the warm-up, "
                    f"{cell.get('drained_s', 0):.0f} s after the run"
                )
            if cell.get("db_peak_all", 0) > cell.get("db_peak", 0):
                notes.append(f"{cell['db_peak_all']} DB conns of all stacks")
            rows.append(
                [
                    *head,
                    f"{cell['rps']:,.1f}",
                    f"{cell.get('ok_rps', cell['rps']):,.1f}",
                    _num(cell.get("p50_ms"), ",.0f"),
                    _num(cell.get("p99_ms"), ",.0f"),
                    str(kinds.get("status", 0)),
                    str(sum(kinds.get(k, 0) for k in SOCKET_ERRORS)),
                    str(cell.get("db_peak", "")),
                    _num(cell.get("other_cpu"), ".1f"),
                    "; ".join(notes),
                ]
            )
    return rows


def write_postgres_markdown(
    path: Path,
    meta: dict[str, Any],
    settings: dict[str, Any],
    stack_labels: dict[str, str],
    rows: list[list[str]],
    skipped: dict[str, str],
) -> None:
    v = meta["versions"]
    lines = [
        "# async_handler benchmark: PostgreSQL",
        "",
        f"- date: {meta['date']}",
        f"- machine: {one_line(meta)}",
        (
            f"- python {v['python']}, Django {v['django']}, aiohttp {v['aiohttp']}, "
            f"gunicorn {v['gunicorn']}, asgiref {v['asgiref']}, uvicorn {v['uvicorn']}, "
            f"PostgreSQL {settings['postgres']} (throwaway cluster on 127.0.0.1, "
            f"max_connections {settings['max_connections']}, fsync off)"
        ),
        (
            f"- wrk -t{settings['threads']} after a {settings['warmup_s']:g}s warm-up; the 200-"
            f"connection rows run {settings['slow_duration_s']:g}s with a 30 s timeout, after "
            "waiting for the warm-up's queued requests to drain; the sync ORM row "
            f"{settings['duration_s']:g}s; one worker process per stack; Django default "
            "MIDDLEWARE, DEBUG=False, CONN_MAX_AGE 0, no pool; the upstream is a bare aiohttp "
            f"server answering after {settings['upstream_delay_s']:g}s"
        ),
        (
            f"- {settings['repeat']} run(s) per pair, the fastest kept; load average "
            f"{meta.get('load_before', 0):.2f} before and {meta.get('load_after', 0):.2f} after"
        ),
        (
            "- `req/s` counts every answer, `2xx req/s` only the good ones; `non-2xx` are answers "
            "of 400 and up (wrk's status errors), `socket errors` wrk's connect, read, write and "
            "timeout errors; `peak DB conns` is the stack's most PostgreSQL connections at once, "
            "polled from pg_stat_activity every 20 ms; `others CPU` is how many CPUs' worth "
            "other processes on the machine used during that run"
        ),
        (
            "- ideal at 200 connections: 200 req/s and p99 just over 1,000 ms for the 1 s views, "
            "and for `aget, sleep 0.5 s, acount` 400 req/s and just over 500 ms"
        ),
        "",
        "## Stacks",
        "",
        *[f"- `{name}`: {label}" for name, label in stack_labels.items()],
        *[f"- `{name}`: skipped, {why}" for name, why in skipped.items()],
        "",
        "## Throughput, latency, errors and database connections",
        "",
        md_table(PG_HEAD, rows),
        "",
        "![requests per second and peak DB connections by view and stack](postgres.png)",
        "",
    ]
    if meta.get("lscpu"):
        lines += [
            "## Machine",
            "",
            f"`lscpu | head`, and `nproc` {meta['nproc']}:",
            "",
            "```",
            meta["lscpu"],
            "```",
            "",
        ]
    path.write_text("\n".join(lines))
