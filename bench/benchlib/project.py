"""Where things are, the environment every server runs with, and readying the project's data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def server_env(data_dir: Path) -> dict[str, str]:
    """Our environment plus bench/ and the repo on the path, the bench settings and data dir."""
    path = [str(BENCH_DIR), str(REPO_DIR)]
    if os.environ.get("PYTHONPATH"):
        path.append(os.environ["PYTHONPATH"])
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "DJANGO_SETTINGS_MODULE": "bench_project.settings",
        "BENCH_DATA_DIR": str(data_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@contextmanager
def data_dir() -> Iterator[Path]:
    """A temporary folder for SQLite and the 100 MB file, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="async_handler_bench_"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def prepare(env: dict[str, str]) -> str:
    """Migrate the database, add the rows and write the big file, in a fresh interpreter.

    Returns the key of a logged-in session that `prepare` made, for rows that need one.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "bench_project.prepare"],
        env=env,
        cwd=str(BENCH_DIR),
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError("preparing the bench project failed:\n" + proc.stdout + proc.stderr)
    keys = [ln.split()[1] for ln in proc.stdout.splitlines() if ln.startswith("SESSION ")]
    return keys[-1] if keys else ""
