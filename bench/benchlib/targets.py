"""The issue's targets as a data table, and their evaluation against figures from the same run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Results = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class Target:
    """One goal; `versus` is a (stack, workload) peer, or None when the threshold is a figure."""

    title: str
    workload: str
    metric: str
    threshold: float
    versus: tuple[str, str] | None = None
    below: bool = False
    # Issue 13's targets, for our ASGI application (ASGI_OURS) against Django's on the same
    # server; the others are for our gunicorn worker.
    asgi: bool = False
    # Only for this one of our stacks ("": all of them).
    only: str = ""


#: Our stacks that serve the ASGI application rather than run our worker.
ASGI_OURS = ("ours-uvicorn", "ours-granian")


TARGETS: tuple[Target, ...] = (
    Target(
        "async hello vs -k asgi async hello", "hello_async", "rps", 6.0, ("asgi", "hello_async")
    ),
    Target(
        "async hello vs gthread sync hello", "hello_async", "rps", 1.2, ("gthread", "hello_sync")
    ),
    Target("async sleep 50 ms vs ideal 2,000 req/s", "sleep_async", "rps", 0.75 * 2000, None),
    Target("async sleep 50 ms vs -k asgi", "sleep_async", "rps", 6.0, ("asgi", "sleep_async")),
    Target("sync hello vs gthread", "hello_sync", "rps", 1.0, ("gthread", "hello_sync")),
    Target("sync hello vs gthread, 100 connections", "hello_sync_100", "rps", 1.0,
           ("gthread", "hello_sync_100")),
    Target("sync ORM vs gthread", "orm_sync", "rps", 1.0, ("gthread", "orm_sync")),
    Target("sync ORM vs gthread, 100 connections", "orm_sync_100", "rps", 1.0,
           ("gthread", "orm_sync_100")),
    Target("async aget vs gthread sync ORM", "orm_async", "rps", 1.0, ("gthread", "orm_sync")),
    Target("mixed GETs: RSS growth after warm-up (MB)", "mixed", "rss_growth_mb", 5.0, below=True),
    Target(
        "100 MB FileResponse: peak RSS growth (MB)",
        "file_100mb",
        "rss_peak_growth_mb",
        10.0,
        below=True,
    ),
    Target("DRF list vs gthread sync DRF", "drf_list", "rps", 1.0, ("gthread", "drf_list")),
    Target("DRF list vs adrf on -k asgi", "drf_list", "rps", 5.0, ("asgi", "drf_list")),
    *(
        Target(
            f"ASGI {what} vs Django ASGI, {server}",
            workload,
            "rps",
            goal,
            (server, workload),
            asgi=True,
            only=f"ours-{server}",
        )
        for server in ("uvicorn", "granian")
        for what, workload, goal in (
            ("async hello", "hello_async", 5.0),
            ("sync hello", "hello_sync", 3.0),
            ("sync ORM", "orm_sync", 1.0),
        )
    ),
)


def evaluate(results: Results, our_stacks: list[str]) -> list[dict[str, Any]]:
    """One row per target and our stack: value, ratio or figure, threshold, PASS/FAIL or n/a."""
    rows: list[dict[str, Any]] = []
    for target in TARGETS:
        for stack in our_stacks:
            if target.asgi != (stack in ASGI_OURS) or target.only not in ("", stack):
                continue
            mine = results.get(stack, {}).get(target.workload, {}).get(target.metric)
            peer = None
            if target.versus is not None:
                peer = (
                    results.get(target.versus[0], {}).get(target.versus[1], {}).get(target.metric)
                )
            row: dict[str, Any] = {
                "stack": stack,
                "target": target.title,
                "value": mine,
                "peer": peer,
            }
            if mine is None or (target.versus is not None and not peer):
                row.update(score=None, goal=_goal(target), verdict="n/a")
            else:
                score = mine / peer if peer else mine
                ok = score < target.threshold if target.below else score >= target.threshold
                row.update(
                    score=round(score, 3), goal=_goal(target), verdict="PASS" if ok else "FAIL"
                )
                if target.versus is not None:
                    row["paired"] = paired_ratio(
                        results[stack][target.workload],
                        results[target.versus[0]][target.versus[1]],
                    )
            rows.append(row)
    return rows


def paired_ratio(mine: dict[str, Any], peer: dict[str, Any]) -> float | None:
    """The median, over the rounds of a repeated run, of our req/s over the peer's in that round.

    The verdict compares the fastest run of each; this one compares runs made next to each
    other in time, so a burst of other load on the machine weighs on both sides of a ratio.
    """
    ours, theirs = mine.get("rps_runs"), peer.get("rps_runs")
    if not ours or not theirs or len(ours) != len(theirs):
        return None
    ratios = sorted(a / b for a, b in zip(ours, theirs, strict=True) if b)
    if not ratios:
        return None
    mid = len(ratios) // 2
    return round(ratios[mid] if len(ratios) % 2 else (ratios[mid - 1] + ratios[mid]) / 2, 3)


def _goal(target: Target) -> str:
    if target.below:
        return f"< {target.threshold:g}"
    if target.versus is None:
        return f">= {target.threshold:,.0f}"
    return f">= {target.threshold:g}x {target.versus[0]}"
