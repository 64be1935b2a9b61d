"""Gunicorn config file for profiling: cProfile counting CPU time on every thread of the worker.

Profiling starts after the app has loaded (post_worker_init) and the merged stats go to
$BENCH_PROFILE_OUT when the worker exits (worker_exit).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import threading
import time
from types import FrameType
from typing import Any

_profilers: list[cProfile.Profile] = []
_lock = threading.Lock()


def _start_in_thread(frame: FrameType, event: str, arg: Any) -> None:
    sys.setprofile(None)
    prof = cProfile.Profile(time.thread_time)
    with _lock:
        _profilers.append(prof)
    prof.enable()


def post_worker_init(worker: Any) -> None:
    main = cProfile.Profile(time.thread_time)
    _profilers.insert(0, main)
    threading.setprofile(_start_in_thread)
    main.enable()


def worker_exit(server: Any, worker: Any) -> None:
    out = os.environ.get("BENCH_PROFILE_OUT")
    if not out or not _profilers:
        return
    threading.setprofile(None)
    _profilers[0].disable()
    with _lock:
        profilers = list(_profilers)
    stats = pstats.Stats(profilers[0])
    for prof in profilers[1:]:
        try:
            stats.add(prof)
        except (TypeError, ValueError):
            continue
    stats.dump_stats(out)
