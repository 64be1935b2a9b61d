"""Bar chart of requests/s per workload and stack, titled with the date and machine of the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .machine import one_line
from .workloads import Workload


def draw(
    path: Path,
    results: dict[str, dict[str, dict[str, Any]]],
    stacks: list[str],
    workloads: list[Workload],
    meta: dict[str, Any],
) -> bool:
    """Write the PNG; return False when matplotlib is missing or nothing measured requests/s."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    shown = [wl for wl in workloads if wl.kind == "throughput" or wl.total_requests]
    shown = [
        wl for wl in shown if any("rps" in results.get(s, {}).get(wl.name, {}) for s in stacks)
    ]
    if not shown:
        return False
    colors = {stack: f"C{i}" for i, stack in enumerate(stacks)}
    fig, ax = plt.subplots(figsize=(max(8.0, 1.9 * len(shown)), 5.2))
    labelled: set[str] = set()
    for j, wl in enumerate(shown):
        present = [
            (s, results[s][wl.name]["rps"])
            for s in stacks
            if "rps" in results.get(s, {}).get(wl.name, {})
        ]
        width = 0.8 / len(present)
        for i, (stack, rps) in enumerate(present):
            bars = ax.bar(
                j - 0.4 + width * (i + 0.5),
                rps,
                width * 0.95,
                color=colors[stack],
                label=None if stack in labelled else stack,
            )
            labelled.add(stack)
            ax.bar_label(bars, labels=[f"{rps:,.0f}"], fontsize=7, rotation=90, padding=2)
    ax.set_xticks(range(len(shown)))
    ax.set_xticklabels([wl.title for wl in shown], fontsize=9)
    ax.set_ylabel("requests / s (one worker)")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
    ax.set_title(f"async_handler bench, {meta['date']}\n{one_line(meta)}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def draw_postgres(
    path: Path,
    results: dict[str, dict[str, dict[str, Any]]],
    stacks: list[str],
    workloads: list[Workload],
    meta: dict[str, Any],
    max_connections: int,
) -> bool:
    """The PostgreSQL section: 2xx requests/s, and peak DB connections against max_connections."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    shown = [
        wl for wl in workloads if any("rps" in results.get(s, {}).get(wl.name, {}) for s in stacks)
    ]
    if not shown:
        return False
    colors = {stack: f"C{i}" for i, stack in enumerate(stacks)}
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 2.2 * len(shown)), 8.4))
    panels = (
        (axes[0], "ok_rps", "2xx requests / s (one worker)", "{:,.0f}"),
        (axes[1], "db_peak", "peak PostgreSQL connections", "{:,.0f}"),
    )
    for ax, key, ylabel, fmt in panels:
        labelled: set[str] = set()
        for j, wl in enumerate(shown):
            present = [
                (s, results[s][wl.name].get(key, 0))
                for s in stacks
                if "rps" in results.get(s, {}).get(wl.name, {})
            ]
            width = 0.8 / len(present)
            for i, (stack, value) in enumerate(present):
                bars = ax.bar(
                    j - 0.4 + width * (i + 0.5),
                    value,
                    width * 0.95,
                    color=colors[stack],
                    label=None if stack in labelled else stack,
                )
                labelled.add(stack)
                ax.bar_label(bars, labels=[fmt.format(value)], fontsize=7, padding=2)
        ax.set_xticks(range(len(shown)))
        ax.set_xticklabels([f"{wl.title}\n(c={wl.connections})" for wl in shown], fontsize=8)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)
    axes[1].axhline(max_connections, color="red", linestyle="--", linewidth=1)
    axes[1].annotate(
        f"max_connections {max_connections}",
        (len(shown) - 0.5, max_connections),
        ha="right",
        va="bottom",
        fontsize=8,
        color="red",
    )
    for ax in axes:
        ax.set_ylim(0, ax.get_ylim()[1] * 1.12)
    axes[0].legend(fontsize=8)
    axes[0].set_title(
        f"async_handler bench, PostgreSQL, {meta['date']}\n{one_line(meta)}", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def draw_upload(
    path: Path,
    results: dict[str, dict[str, Any]],
    rows: list[tuple[str, str]],
    meta: dict[str, Any],
    goals: tuple[float, float],
) -> bool:
    """The upload section: MB/s, first chunk (log scale) and peak RSS growth, one bar per row.

    `rows` are (name, title) in table order; `goals` the first-chunk and RSS targets, drawn as
    dashed lines."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    shown = [(n, t) for n, t in rows if "mb_s" in results.get(n, {})]
    if not shown:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(max(12.0, 2.6 * len(shown)), 5.4))
    panels = (
        (axes[0], "mb_s", "MB/s (one worker)", "{:,.0f}", None),
        (axes[1], "worst_first_chunk_ms", "first chunk, ms (log)", "{:,.1f}", goals[0]),
        (axes[2], "worst_rss_peak_growth_mb", "peak RSS growth, MB", "{:+.1f}", goals[1]),
    )
    for ax, key, ylabel, fmt, goal in panels:
        values = [
            results[n].get(key, results[n].get(key.removeprefix("worst_"), 0)) for n, _ in shown
        ]
        bars = ax.bar(range(len(shown)), values, 0.7, color=[f"C{i}" for i in range(len(shown))])
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=7, padding=2)
        ax.set_xticks(range(len(shown)))
        ax.set_xticklabels(
            [t.replace(", ", ",\n") for _, t in shown], fontsize=7, rotation=30, ha="right"
        )
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)
        if goal is not None:
            ax.axhline(goal, color="red", linestyle="--", linewidth=1)
        if key == "worst_first_chunk_ms":
            ax.set_yscale("log")
        else:
            ax.set_ylim(min(0, ax.get_ylim()[0]), ax.get_ylim()[1] * 1.15)
    fig.suptitle(f"async_handler bench, upload, {meta['date']}\n{one_line(meta)}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
