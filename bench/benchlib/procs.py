"""Starting and surely stopping child processes: SIGTERM, wait, then SIGKILL of their group."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any


def stop(proc: subprocess.Popen[Any], timeout: float = 10.0) -> int | None:
    """Stop one child we started, and whatever is left of its process group."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait(5)
    if _group_members(proc.pid):
        _kill_group(proc.pid)
    return proc.returncode


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _group_members(pgid: int) -> list[int]:
    """Live processes in group pgid; Linux reuses no pid while a group of that id has members."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


@contextmanager
def started(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    stdout: IO[Any] | int | None = None,
    stderr: IO[Any] | int | None = None,
    pass_fds: Sequence[int] = (),
    stop_timeout: float = 10.0,
) -> Iterator[subprocess.Popen[Any]]:
    """Run argv in its own session, so Ctrl-C reaches only us, and always stop it on the way out."""
    proc = subprocess.Popen(
        list(argv),
        env=env,
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        pass_fds=tuple(pass_fds),
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        stop(proc, stop_timeout)


def sigterm_as_interrupt() -> None:
    """Turn SIGTERM (and SIGINT, even if inherited as ignored) into KeyboardInterrupt, so that
    `finally` blocks stop the children on either signal."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
