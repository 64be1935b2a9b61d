"""Driving the WebSocket load clients (ws_client.py processes) from the bench, with asyncio.

Also the group sender (channels_redis's own RedisChannelLayer, as a Celery task or another
process would send) and Redis's own counters (INFO) around a phase.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

CLIENT = Path(__file__).with_name("ws_client.py")


class Client:
    """One ws_client.py process: send it lines, read its JSON lines."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, cfg: dict[str, Any], log: Path) -> Client:
        with log.open("ab") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(CLIENT),
                json.dumps(cfg),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                limit=1 << 20,
            )
        return cls(proc)

    async def read(self, timeout: float = 120.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            code = await self.proc.wait()
            raise RuntimeError(f"a WebSocket client exited with {code}; see its log")
        return dict(json.loads(line))

    async def write(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.terminate()
            except ProcessLookupError:
                pass
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def start_all(cfgs: list[dict[str, Any]], log: Path) -> list[Client]:
    return [await Client.start(cfg, log) for cfg in cfgs]


async def stop_all(clients: list[Client]) -> None:
    await asyncio.gather(*(c.stop() for c in clients), return_exceptions=True)


class RedisCounters:
    """Redis INFO counters: commands, network bytes and CPU, read before and after a phase."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def read(self) -> dict[str, float]:
        info = self.client.info()
        return {
            "commands": float(info["total_commands_processed"]),
            "net_in": float(info["total_net_input_bytes"]),
            "net_out": float(info["total_net_output_bytes"]),
            "cpu_s": float(info["used_cpu_sys"]) + float(info["used_cpu_user"]),
            "at": time.monotonic(),
        }

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        # The INFO call itself is one command: left out.
        out = {k: after[k] - before[k] for k in before}
        out["commands"] -= 1
        return out

    def close(self) -> None:
        self.client.close()


async def fanout_rounds(
    clients: list[Client],
    layer: Any,
    groups: list[str],
    message_type: str,
    rounds: int,
    gap_s: float,
    timeout_s: float = 30.0,
) -> tuple[list[float], int]:
    """Each round: group_send to every group at once, then wait for every client to report all
    its sockets got it. Returns the rounds' times to the last delivery (s) and rounds lost."""
    times: list[float] = []
    lost = 0
    for seq in range(rounds):
        t0 = time.monotonic()
        message = {"type": message_type, "text": f"m {seq} {t0:.6f}"}
        await asyncio.gather(*(layer.group_send(g, message) for g in groups))
        try:
            reports = await asyncio.gather(*(c.read(timeout_s) for c in clients))
        except TimeoutError:
            lost += 1
            break
        if any(r.get("seq") != seq for r in reports):
            raise RuntimeError(f"round {seq}: out of step: {reports}")
        times.append(max(r["last"] for r in reports) - t0)
        await asyncio.sleep(gap_s)
    return times, lost
