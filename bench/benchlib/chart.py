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
