"""Finding or installing wrk, running it with report.lua, and parsing what it reports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import procs

SCRIPT = Path(__file__).with_name("report.lua")
INSTALL_COMMAND = ["apt-get", "install", "-y", "wrk"]


class WrkError(RuntimeError):
    """wrk ran but gave no report."""


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    bytes: int
    errors: dict[str, int]
    latency_ms: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rps"] = round(self.rps, 1)
        return data


def ensure_wrk() -> str:
    """Return wrk's path, installing the Debian package when we are root; else exit with advice."""
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("==> wrk is missing; installing it with: " + " ".join(INSTALL_COMMAND), flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.call(INSTALL_COMMAND, env=env) != 0:
            subprocess.call(["apt-get", "update"], env=env)
            subprocess.call(INSTALL_COMMAND, env=env)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit(
        "wrk is not installed. Install it and run again:\n"
        "    sudo apt-get update && sudo apt-get install -y wrk"
    )


def run(
    wrk_path: str,
    base_url: str,
    paths: list[str],
    *,
    connections: int,
    threads: int,
    duration_s: float,
    timeout_s: float = 5.0,
    log_path: Path | None = None,
    headers: tuple[str, ...] = (),
) -> WrkResult:
    """Load base_url with wrk for duration_s, cycling through paths, and return its figures.

    `headers` ("Name: value") go on every request (`wrk -H`; report.lua's wrk.format adds them).
    """
    threads = max(1, min(threads, connections))
    env = {
        **os.environ,
        "BENCH_PATHS": ",".join(paths),
    }
    argv = [
        wrk_path,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        f"--timeout={max(1, round(timeout_s))}s",
        *[arg for header in headers for arg in ("-H", header)],
        "-s",
        str(SCRIPT),
        base_url + paths[0],
    ]
    with procs.started(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        out, _ = proc.communicate(timeout=duration_s + timeout_s + 60)
    text = out.decode("utf-8", "replace")
    if log_path is not None:
        with log_path.open("a") as log:
            log.write(" ".join(argv) + "\n" + text + "\n")
    return parse(text)


def parse(text: str) -> WrkResult:
    for line in text.splitlines():
        if line.startswith("BENCH_JSON "):
            raw = json.loads(line[len("BENCH_JSON ") :])
            lat = {k: round(v / 1000.0, 3) for k, v in raw["latency_us"].items()}
            return WrkResult(
                requests=raw["requests"],
                duration_s=raw["duration_us"] / 1e6,
                bytes=raw["bytes"],
                errors=raw["errors"],
                latency_ms=lat,
            )
    raise WrkError("wrk printed no report:\n" + text[-2000:])
