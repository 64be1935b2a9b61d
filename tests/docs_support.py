"""Helpers for the documentation tests: read the docs' code blocks, run sample_project commands.

The docs are README.md, DEPLOYMENT.md and MIGRATING.md at the repository root. Shell
commands come from fenced ```sh, ```bash, ```shell and ```console blocks (in console
blocks only `$ ` lines). Each command is normalised to its shell words joined by single
spaces, with comments dropped, so a table can name it exactly.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_project"
DOCS = ("README.md", "DEPLOYMENT.md", "MIGRATING.md", "CHANNELS.md")
SHELL_LANGS = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>[\w+-]*)[ \t]*$")


@dataclass(frozen=True)
class Block:
    doc: str
    line: int  # 1-based line of the opening fence
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def path(self) -> str | None:
        """The file a config block stands for, from a first line like `# /etc/x.conf`."""
        first = self.text.lstrip().splitlines()[0] if self.text.strip() else ""
        match = re.match(r"^[#;]\s*(\S+)", first)
        return match.group(1).rstrip(",;") if match else None


def blocks(*langs: str, docs: tuple[str, ...] = DOCS) -> list[Block]:
    """Every fenced block of the given languages (all languages when none is given)."""
    found = []
    for doc in docs:
        lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            match = FENCE.match(lines[i])
            if not match:
                i += 1
                continue
            indent, lang, start = len(match.group("indent")), match.group("lang"), i
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
                i += 1
            i += 1
            if not langs or lang in langs:
                found.append(Block(doc, start + 1, lang, "\n".join(body) + "\n"))
    return found


def normalise(command: str) -> str:
    return " ".join(shlex.split(command, comments=True))


def shell_commands() -> list[tuple[str, str]]:
    """(where, normalised command) for every command in the docs' shell blocks."""
    commands = []
    for block in blocks(*SHELL_LANGS):
        pending = ""
        for offset, raw in enumerate(block.text.splitlines(), start=1):
            line = raw.rstrip()
            if block.lang == "console":
                if not line.startswith("$ ") and not pending:
                    continue  # output, not a command
                line = line[2:] if line.startswith("$ ") else line
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            command, pending = normalise(pending + line), ""
            if command:
                commands.append((f"{block.doc}:{block.line + offset}", command))
    return commands


def doc_command(prefix: str) -> str:
    """The one distinct documented command that starts with `prefix`."""
    matches = sorted({c for _, c in shell_commands() if c.startswith(prefix)})
    assert len(matches) == 1, f"expected one documented command starting {prefix!r}: {matches}"
    return matches[0]


def file_block(path: str, lang: str) -> Block:
    """The first block that stands for `path` (its first line names it)."""
    matches = [b for b in blocks(lang) if b.path == path]
    assert matches, f"no {lang} block for {path}"
    return matches[0]


def render(text: str, replacements: dict[str, str]) -> str:
    """Replace every key by its value in one pass, longest keys first."""
    keys = sorted(replacements, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in keys))
    return pattern.sub(lambda m: replacements[m.group(0)], text)


def sample_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for sample_project with its database and STATIC_ROOT under `tmp`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GUNICORN_CMD_ARGS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(
        DJANGO_SETTINGS_MODULE="sample_project.settings",
        DJANGO_DEBUG="0",
        SAMPLE_PROJECT_DB=str(tmp / "db.sqlite3"),
        SAMPLE_PROJECT_STATIC_ROOT=str(tmp / "staticfiles"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path = SAMPLE_DIR,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; fail with its output if it fails."""
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@contextlib.contextmanager
def process_group(args: list[str], env: dict[str, str], log: Path, cwd: Path = SAMPLE_DIR,
                  stop: int = signal.SIGTERM) -> Iterator[subprocess.Popen[bytes]]:
    """Start `args` in its own process group, output to `log`; stop the whole group after."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, stop)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        deadline = time.monotonic() + 30  # children (gunicorn under make) may outlive the leader
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes],
             timeout: float = 60) -> re.Match[str]:
    """Poll `log` until `pattern` appears; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        match = re.search(pattern, text)
        if match:
            return match
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode} before {pattern!r}:\n{text}")
        time.sleep(0.05)
    raise AssertionError(f"no {pattern!r} within {timeout} s:\n{log.read_text(errors='replace')}")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 5.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.unix_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def get(target: str | int, path: str, headers: dict[str, str] | None = None,
        timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """GET `path` from a TCP port on 127.0.0.1 or a unix socket path."""
    conn: http.client.HTTPConnection = (
        http.client.HTTPConnection("127.0.0.1", target, timeout=timeout)
        if isinstance(target, int) else UnixConnection(target, timeout))
    try:
        host = f"127.0.0.1:{target}" if isinstance(target, int) else "localhost"
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def poll_get(target: str | int, path: str, timeout: float = 60,
             proc: subprocess.Popen[bytes] | None = None, log: Path | None = None,
             ) -> tuple[int, dict[str, str], bytes]:
    """GET until the server answers at all (any status)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(target, path, timeout=5)
        except (OSError, http.client.HTTPException):
            if proc is not None and proc.poll() is not None or time.monotonic() > deadline:
                output = log.read_text(errors="replace") if log else ""
                raise AssertionError(f"no answer on {target}{path}:\n{output}") from None
            time.sleep(0.1)


def poll_ok(port: int, path: str, procs: dict[subprocess.Popen[bytes], Path],
            timeout: float = 60) -> None:
    """GET until the answer is 200, failing early if one of `procs` exits."""
    deadline = time.monotonic() + timeout
    while True:
        for proc, log in procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(port, path, timeout=5)[0] == 200:
                return
        if time.monotonic() > deadline:
            logs = "\n".join(log.read_text(errors="replace") for log in procs.values())
            raise AssertionError(f"{path} never answered 200:\n{logs}")
        time.sleep(0.1)


def free_port() -> int:
    """A loopback port that was free a moment ago, for servers that must bind it themselves."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def python_command(command: str) -> list[str]:
    """A documented `python ...` command as argv for this interpreter."""
    words = shlex.split(command)
    assert words[0] == "python", command
    return [sys.executable, *words[1:]]
