"""The WebSocket section's tables, targets (issue 12) and WEBSOCKET.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .machine import one_line
from .report import md_table, text_table
from .ws_model import model_lines
from .ws_phases import SCENARIOS
from .ws_stacks import PEER

Results = dict[str, dict[str, dict[str, Any]]]
ECHO_HEAD = ["stack", "round trips/s", "x channels", "worker CPU", "clients CPU", "errors"]
MEM_HEAD = [
    "stack",
    "RSS before MB",
    "RSS with sockets MB",
    "sockets",
    "KB per socket",
    "x channels",
    "KB over aiohttp-bare",
]
FLOOR = "aiohttp-bare"  # ws_stacks.py: aiohttp's own cost per socket, without Django
FAN_HEAD = [
    "groups",
    "stack",
    "p50 ms",
    "p99 ms",
    "channels p50 / this",
    "rounds",
    "sockets per worker",
    "workers CPU ms/round",
    "Redis cmds/round",
    "Redis cmds/s",
    "Redis KB/round",
    "Redis CPU ms/round",
    "Redis cmds to join",
]
TARGET_HEAD = ["stack", "target", "measured", "goal", "verdict"]


def _get(results: Results, stack: str, key: str, field: str) -> Any:
    return results.get(stack, {}).get(key, {}).get(field)


def _f(value: Any, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def echo_rows(results: Results, names: list[str]) -> list[list[str]]:
    ref = _get(results, PEER, "echo", "rps")
    rows = []
    for st in names:
        cell = results.get(st, {}).get("echo")
        if not cell:
            continue
        if "error" in cell:
            rows.append([st, "error: " + cell["error"][:80], "", "", "", ""])
            continue
        ratio = f"{cell['rps'] / ref:.2f}x" if ref and st != PEER else ""
        rows.append(
            [
                st,
                f"{cell['rps']:,.0f}",
                ratio,
                f"{cell['worker_cpu']:.2f}",
                f"{cell['client_cpu']:.2f}",
                str(cell["errors"]),
            ]
        )
    return rows


def memory_rows(results: Results, names: list[str]) -> list[list[str]]:
    ref = _get(results, PEER, "memory", "kb_per_socket")
    floor = _get(results, FLOOR, "memory", "kb_per_socket")
    rows = []
    for st in names:
        cell = results.get(st, {}).get("memory")
        if not cell or "error" in cell:
            continue
        ratio = f"{cell['kb_per_socket'] / ref:.2f}x" if ref and st != PEER else ""
        over = f"{cell['kb_per_socket'] - floor:+.1f}" if floor is not None and st != FLOOR else ""
        rows.append(
            [
                st,
                f"{cell['rss_before_kb'] / 1024:.1f}",
                f"{cell['rss_after_kb'] / 1024:.1f}",
                f"{cell['sockets']:,}",
                f"{cell['kb_per_socket']:.1f}",
                ratio,
                over,
            ]
        )
    return rows


def fanout_rows(results: Results, names: list[str]) -> list[list[str]]:
    rows = []
    for scen, _ in SCENARIOS:
        key = "fanout " + scen
        ref = _get(results, PEER, key, "p50_ms")
        for st in names:
            c = results.get(st, {}).get(key)
            if not c or "error" in c or c.get("p50_ms") is None:
                continue
            ratio = f"{ref / c['p50_ms']:.2f}x" if ref and st != PEER else ""
            rows.append(
                [
                    scen,
                    st,
                    f"{c['p50_ms']:.1f}",
                    f"{c['p99_ms']:.1f}",
                    ratio,
                    f"{c['rounds']}" + (f" ({c['lost']} lost)" if c["lost"] else ""),
                    "/".join(str(n) for n in c["split"]),
                    f"{c['worker_cpu_ms_per_round']:.0f}",
                    f"{c['redis_cmds_per_round']:.0f}",
                    f"{c['redis_cmds_per_s']:,.0f}",
                    f"{c['redis_kb_per_round']:.1f}",
                    f"{c['redis_cpu_ms_per_round']:.1f}",
                    f"{c['join_commands']:,.0f}",
                ]
            )
    return rows


def targets(results: Results, ours: list[str]) -> list[list[str]]:
    """Issue 12's targets for each of our stacks, against Channels in the same run."""
    rows = []
    checks = (
        ("echo round trips/s", "echo", "rps", ">= 3x", lambda v, p: v / p, lambda r: r >= 3),
        (
            "fan-out to 1,000, p50",
            "fanout 1 group",
            "p50_ms",
            ">= 1.5x",
            lambda v, p: p / v,
            lambda r: r >= 1.5,
        ),
        (
            "fan-out to 1,000, p99",
            "fanout 1 group",
            "p99_ms",
            ">= 1.5x",
            lambda v, p: p / v,
            lambda r: r >= 1.5,
        ),
        (
            "memory per idle socket",
            "memory",
            "kb_per_socket",
            "<= 0.5x",
            lambda v, p: v / p,
            lambda r: r <= 0.5,
        ),
    )
    for st in ours:
        for title, key, field, goal, ratio, ok in checks:
            value, peer = _get(results, st, key, field), _get(results, PEER, key, field)
            if value is None or not peer:
                continue
            r = ratio(value, peer)
            rows.append(
                [
                    st,
                    title,
                    f"{r:.2f}x ({value:,.1f} vs {peer:,.1f})",
                    goal,
                    "PASS" if ok(r) else "FAIL",
                ]
            )
    return rows


def print_tables(results: Results, names: list[str], ours: list[str]) -> list[list[str]]:
    trows = targets(results, ours)
    for head, rows in (
        (ECHO_HEAD, echo_rows(results, names)),
        (FAN_HEAD, fanout_rows(results, names)),
        (MEM_HEAD, memory_rows(results, names)),
        (TARGET_HEAD, trows),
    ):
        print("\n" + text_table(head, rows), flush=True)
    return trows


def write(
    path: Path,
    meta: dict[str, Any],
    settings: dict[str, Any],
    labels: dict[str, str],
    results: Results,
    trows: list[list[str]],
    skipped: dict[str, str],
    notes: list[str],
) -> None:
    names = list(labels)
    v = meta["versions"]
    lines = [
        "# WebSocket benchmark (issue 12)",
        "",
        f"- date: {meta['date']}",
        f"- machine: {one_line(meta)}; load average {meta['load_before']:.2f} before, "
        f"{meta['load_after']:.2f} after (2 CPUs shared with other work: read the ratios)",
        "- " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- {settings['repeat']} run(s) of each phase per stack, the best kept; echo "
        f"{settings['duration_s']:g} s after {settings['warmup_s']:g} s warm-up; fan-out "
        f"{settings['rounds']} rounds per scenario; soft fd limit {settings['fd_limit']:,}",
        "",
        "## Stacks",
        "",
        *[f"- `{n}`: {label}" for n, label in labels.items()],
        *[f"- `{n}`: skipped, {why}" for n, why in skipped.items()],
        "",
        "## Echo: 50 clients, one worker",
        "",
        md_table(ECHO_HEAD, echo_rows(results, names)),
        "",
        "## Fan-out: 1,000 sockets over two workers",
        "",
        md_table(FAN_HEAD, fanout_rows(results, names)),
        "",
        "## Memory: 5,000 idle sockets, one worker",
        "",
        md_table(MEM_HEAD, memory_rows(results, names)),
        "",
        "## Targets",
        "",
        md_table(TARGET_HEAD, trows),
        "",
        "## How a worker subscribes (issue 12, point 4)",
        "",
        *model_lines(results),
        "",
        *notes,
        "",
        "![echo, fan-out and memory by stack](websocket.png)",
        "",
    ]
    path.write_text("\n".join(lines))
