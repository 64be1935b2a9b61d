"""Issue 12 point 4 in WEBSOCKET.md: how a worker subscribes, per socket or per group, measured."""

from __future__ import annotations

from typing import Any

from .ws_phases import SCENARIOS

Results = dict[str, dict[str, dict[str, Any]]]


def model_lines(results: Results) -> list[str]:
    """Issue 12 point 4: one channel per group per worker (feeds.py) against one per socket."""
    out = [
        "`async_handler/websocket/` gives each worker one layer channel per group and hands what "
        "it reads to its local members (`ours`, feeds.py); `ours-per-socket` (bench-only, "
        "`bench_project/ws_groups.py`) gives each socket a channel of its own, read by a task "
        "per socket, as before. Same view, same layer, same run:",
        "",
    ]
    speedups = []
    for scen, _ in SCENARIOS:
        key = "fanout " + scen
        a, b = results.get("ours-per-socket", {}).get(key), results.get("ours", {}).get(key)
        if not a or not b or a.get("p50_ms") is None or b.get("p50_ms") is None:
            continue
        speedups.append((scen, a["p50_ms"] / b["p50_ms"]))
        out.append(
            f"- {scen}: channel per socket p50 {a['p50_ms']:.1f} ms / p99 {a['p99_ms']:.1f} ms, "
            f"workers {a['worker_cpu_ms_per_round']:.0f} ms CPU a round; per group per worker "
            f"p50 {b['p50_ms']:.1f} ms / p99 {b['p99_ms']:.1f} ms, "
            f"{b['worker_cpu_ms_per_round']:.0f} ms CPU ({a['p50_ms'] / b['p50_ms']:.2f}x "
            f"at p50). Redis: {a['redis_cmds_per_round']:.0f} against "
            f"{b['redis_cmds_per_round']:.0f} commands, {a['redis_kb_per_round']:.1f} against "
            f"{b['redis_kb_per_round']:.1f} KB a round; joining the 1,000 sockets took "
            f"{a['join_commands']:,.0f} against {b['join_commands']:,.0f} commands."
        )
    if speedups:
        out += [
            "",
            "Why: channels_redis already sends one Redis message per worker per group_send (the "
            "message lists the worker's member channels), so both models cost Redis the same "
            "number of commands per send. With a channel per socket that message carries every "
            "member's channel name (the bytes above) and the worker wakes one reader per socket "
            "through the layer's `receive()`; with one channel per group the worker reads once "
            "and loops over its sockets, and a join costs Redis nothing after the group's "
            "first local member. The gap grows with the group: "
            + ", ".join(f"{scen} {x:.2f}x" for scen, x in speedups)
            + " (channel per socket p50 / per group per worker p50). With groups of four "
            "(250 groups) the sender's 250 group_sends dominate both.",
        ]
    return out
