"""The workloads as a data table: which paths, how many connections, which stacks, what to measure.

To add a row (say the DRF list view), append a Workload: `paths_by_stack` lets each stack hit its
own URL, and `requires` names modules that must import in the servers' environment, else the row is
skipped (`requires_by_stack`: only that stack is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

OURS = ("ours", "ours-uvloop")
ASYNC_PEERS = ("asgi", "uvicorn")
# Issue 13: this package's ASGI application and Django's, on the same server.
ASGI_PAIR = ("ours-uvicorn", "uvicorn")
GRANIAN_PAIR = ("ours-granian", "granian")
# The servers alone (a bare ASGI hello): the ceiling of the async hello on each.
BARE = ("bare-uvicorn", "bare-granian")

MIXED_PATHS = (
    "/hello/sync/",
    "/hello/async/",
    "/orm/sync/",
    "/orm/async/",
    "/json/async/?page=2",
    "/hello/sync/?q=x",
    "/hello/async",
)


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    paths: tuple[str, ...]
    connections: int
    stacks: tuple[str, ...]
    kind: str = "throughput"
    timeout_s: float = 5.0
    total_requests: int = 0
    paths_by_stack: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    requires_by_stack: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A floor on the measured run, also under --quick: a stack that answers its 64 connections only
    # every few seconds needs several such rounds per run, or its figure is mostly the first wait.
    min_duration_s: float = 0.0
    # The PostgreSQL section's options. `logged_in`: send the prepared session's cookie.
    # `settle_s`: after the warm-up, wait (up to this long) until the server answers at once
    # again, so that the warm-up's queued slow requests don't run into the measured run.
    # `server_extra`: BENCH_PG_EXTRA for the servers, which then run in a group of their own.
    logged_in: bool = False
    settle_s: float = 0.0
    server_extra: str = ""

    def paths_for(self, stack: str) -> tuple[str, ...]:
        return self.paths_by_stack.get(stack, self.paths)

    def duration_s(self, requested: float) -> float:
        """Seconds of measured load: the requested run, or this row's floor if that is longer."""
        return max(requested, self.min_duration_s)

    @property
    def measures_memory(self) -> bool:
        return self.kind == "rss"


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "hello_async",
        "async hello",
        ("/hello/async/",),
        64,
        OURS + ASYNC_PEERS + ("gthread", "ours-uvicorn") + GRANIAN_PAIR + BARE,
    ),
    Workload(
        "hello_sync",
        "sync hello",
        ("/hello/sync/",),
        64,
        OURS + ("gthread",) + ASGI_PAIR + GRANIAN_PAIR,
    ),
    Workload("hello_sync_100", "sync hello", ("/hello/sync/",), 100, OURS + ("gthread",)),
    Workload("sleep_async", "async sleep 50 ms", ("/sleep/async/",), 100, OURS + ASYNC_PEERS),
    Workload(
        "orm_sync",
        "sync ORM get",
        ("/orm/sync/",),
        64,
        OURS + ("gthread",) + ASGI_PAIR + GRANIAN_PAIR,
    ),
    Workload("orm_sync_100", "sync ORM get", ("/orm/sync/",), 100, OURS + ("gthread",)),
    Workload(
        "orm_async", "async ORM aget", ("/orm/async/",), 64, OURS + ASYNC_PEERS + ("gthread",)
    ),
    Workload("mixed", "mixed GETs", MIXED_PATHS, 64, OURS, kind="rss", total_requests=50_000),
    Workload(
        "file_100mb",
        "100 MB FileResponse",
        ("/file/big/",),
        4,
        OURS + ("gthread",),
        kind="rss",
        timeout_s=30.0,
    ),
    # Issue 4: the same 100-row ModelViewSet list, async on ours, sync DRF on gthread, adrf on asgi.
    # adrf answers 64 connections about every 4 s, hence the 20 s floor and the 15 s timeout.
    Workload(
        "drf_list",
        "DRF list, 100 rows",
        ("/drf/ours/items/",),
        64,
        OURS + ("gthread", "asgi"),
        timeout_s=15.0,
        min_duration_s=20.0,
        paths_by_stack={"gthread": ("/drf/sync/items/",), "asgi": ("/drf/adrf/items/",)},
        requires=("rest_framework", "async_handler.drf"),
        requires_by_stack={"asgi": ("adrf",)},
    ),
)


# The PostgreSQL section (issue 10, points 2 and 7): the realistic async views at 200 connections
# and a sync one-query ORM view at 64, on every stack, against one throwaway PostgreSQL cluster.
# A 1 s view at 200 connections queues for 12 s or more on a stack that runs 16 at once, hence
# the 30 s wrk timeout and the 20 s floor on the run: wrk counts only requests that finished.
PG_STACKS = ("ours", "asgi", "uvicorn", "gthread16", "ours-uvicorn")
# granian only in the rows issue 13 names (auser + sleep, sync ORM): each slow row is a minute.
PG_GRANIAN = PG_STACKS + GRANIAN_PAIR


def _slow(
    name: str, title: str, path: str, stacks: tuple[str, ...] = PG_STACKS, **options: object
) -> Workload:
    """A row of 1 s views at 200 connections."""
    return Workload(
        name,
        title,
        (path,),
        200,
        stacks,
        timeout_s=30.0,
        min_duration_s=20.0,
        settle_s=40.0,
        **options,  # type: ignore[arg-type]
    )


PG_WORKLOADS: tuple[Workload, ...] = (
    _slow("pg_auser", "auser(), sleep 1 s", "/pg/auser-sleep/", PG_GRANIAN, logged_in=True),
    _slow("pg_orm_sleep", "aget, sleep 0.5 s, acount", "/pg/orm-sleep/"),
    _slow("pg_upstream", "aget, 1 s upstream call", "/pg/orm-upstream/"),
    _slow(
        "pg_auser_mw",
        "auser(), sleep 1 s; + sync mw, receiver",
        "/pg/auser-sleep/",
        logged_in=True,
        server_extra="mixin,receiver",
    ),
    Workload("pg_orm_sync", "sync ORM get", ("/orm/sync/",), 64, PG_GRANIAN),
    Workload("pg_orm_sync_100", "sync ORM get", ("/orm/sync/",), 100, PG_STACKS),
)


def requirements(workloads: list[Workload]) -> dict[str, tuple[str, ...]]:
    """What each row, and each row on one stack, needs importable, keyed as skip notes read."""
    needs: dict[str, tuple[str, ...]] = {}
    for wl in workloads:
        needs[f"workload {wl.name}"] = wl.requires
        for stack, required in wl.requires_by_stack.items():
            needs[f"workload {wl.name} on {stack}"] = required
    return needs


def without_missing(workloads: list[Workload], missing: Mapping[str, str]) -> list[Workload]:
    """Drop the rows, and the stacks of a row, whose requirements did not import."""
    kept = []
    for wl in workloads:
        if f"workload {wl.name}" in missing:
            continue
        stacks = tuple(s for s in wl.stacks if f"workload {wl.name} on {s}" not in missing)
        kept.append(replace(wl, stacks=stacks))
    return kept
