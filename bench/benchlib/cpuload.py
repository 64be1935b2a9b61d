"""How much CPU other processes took during a run: the machine's busy time minus ours.

Ours is the server's worker, the wrk runs we reaped, and this harness; interrupt time (loopback
networking) is left out. The figure shows how noisy a run was, in CPUs' worth.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Self

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy_s() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + steal) / TICK


def process_cpu_s(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def ours_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OtherLoad:
    """Measures, over a `with` block, the CPUs' worth used by processes other than ours."""

    def __init__(self, worker_pid: int) -> None:
        self.worker_pid = worker_pid
        self.cpus = 0.0
        self._start = (0.0, 0.0, 0.0, 0.0)

    def _now(self) -> tuple[float, float, float, float]:
        return time.monotonic(), machine_busy_s(), process_cpu_s(self.worker_pid), ours_s()

    def __enter__(self) -> Self:
        try:
            self._start = self._now()
        except (OSError, ValueError):
            self._start = (0.0, 0.0, 0.0, 0.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._start[0]:
            return
        try:
            end = self._now()
        except (OSError, ValueError):
            return
        wall = end[0] - self._start[0]
        deltas = [b - a for a, b in zip(self._start[1:], end[1:], strict=True)]
        if wall > 0:
            self.cpus = max(0.0, (deltas[0] - deltas[1] - deltas[2]) / wall)
