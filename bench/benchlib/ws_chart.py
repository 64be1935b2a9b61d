"""The WebSocket section's chart, websocket.png, titled with the date and machine of the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .machine import one_line
from .ws_phases import SCENARIOS

Results = dict[str, dict[str, dict[str, Any]]]


def _get(results: Results, stack: str, key: str, field: str) -> Any:
    return results.get(stack, {}).get(key, {}).get(field)


def draw(path: Path, results: Results, names: list[str], meta: dict[str, Any]) -> bool:
    """Three panels: echo round trips/s, fan-out p50 per scenario, KB per idle socket."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    colors = {st: f"C{i}" for i, st in enumerate(names)}
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2))
    simple = (
        (axes[0], "echo", "rps", "echo round trips / s (50 clients)", "{:,.0f}"),
        (axes[2], "memory", "kb_per_socket", "KB per idle socket (5,000)", "{:.1f}"),
    )
    for ax, key, field, title, fmt in simple:
        shown = [(st, _get(results, st, key, field)) for st in names]
        shown = [(st, val) for st, val in shown if val is not None]
        bars = ax.bar(
            [st for st, _ in shown],
            [val for _, val in shown],
            color=[colors[st] for st, _ in shown],
        )
        ax.bar_label(bars, labels=[fmt.format(val) for _, val in shown], fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax = axes[1]
    width = 0.8 / max(1, len(names))
    for i, st in enumerate(names):
        vals = [_get(results, st, "fanout " + s, "p50_ms") or 0 for s, _ in SCENARIOS]
        ax.bar(
            [j - 0.4 + width * (i + 0.5) for j in range(len(SCENARIOS))],
            vals,
            width * 0.95,
            color=colors[st],
            label=st,
        )
    ax.set_xticks(range(len(SCENARIOS)))
    ax.set_xticklabels([s for s, _ in SCENARIOS], fontsize=8)
    ax.set_yscale("log")
    ax.set_title("fan-out to 1,000 sockets, p50 ms (log), two workers", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle(
        f"async_handler WebSocket bench, {meta['date']}\n{one_line(meta)}, load "
        f"{meta['load_before']:.1f}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
