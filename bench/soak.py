"""`make soak`: 50,000 mixed requests against one AiohttpWorker; memory, fds and tasks must
level off and no answer may be a 5xx. Not part of `make test`; it takes a few minutes.

    make soak
    make soak SOAK_ARGS="--requests 5000 --concurrency 16"

The mix: small GETs (async and sync views), 1 MB POSTs, chunked uploads, uploads abandoned
mid-body, streamed responses, and streams abandoned after their first chunk. The worker's
own figures come from the tests' /h/diag/ view (RSS, open fds, asyncio tasks, threads, the
thread pool's busy and queued levels); the exit status is 1 on any failure or 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hardening_support import hardening_gunicorn, proc_status  # noqa: E402
from tests.worker_support import worker_pid  # noqa: E402

MB = b"m" * (1 << 20)
PIECE = b"c" * 16384


async def _chunks() -> AsyncIterator[bytes]:
    for _ in range(16):  # 256 KiB, sent chunked (no Content-Length)
        yield PIECE


async def _abandon(port: int, request: bytes, wait_for: bytes = b"") -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        if wait_for:
            await asyncio.wait_for(reader.readuntil(wait_for), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    return "aborted"


async def one(kind: str, session: aiohttp.ClientSession, url: str, port: int) -> str:
    """Run one request of `kind`; return its status as text, or 'aborted' for the
    requests the client abandons on purpose."""
    if kind == "abort_upload":
        return await _abandon(
            port,
            b"POST /h/sink/ HTTP/1.1\r\nHost: t\r\nContent-Type: "
            b"application/octet-stream\r\nContent-Length: 1048576\r\n\r\n" + MB[:65536],
        )
    if kind == "abort_stream":
        return await _abandon(
            port, b"GET /h/stream/?n=100000 HTTP/1.1\r\nHost: t\r\n\r\n", wait_for=b"s" * 1024
        )
    method, path, data, expect = {
        "get_async": ("GET", "/h/echo/?i=1", None, b"1"),
        "get_sync": ("GET", "/sync/", None, b"hello sync"),
        "post_1mb": ("POST", "/h/sink/", MB, b"got 1048576"),
        "chunked_upload": ("POST", "/h/sink/", "chunked", b"got 262144"),
        "stream": ("GET", "/h/stream/?n=64", None, b"s" * 65536),
    }[kind]
    body: Any = _chunks() if data == "chunked" else data
    headers = {"Content-Type": "application/octet-stream"} if data is not None else {}
    async with session.request(method, url + path, data=body, headers=headers) as r:
        got = await r.read()
        if r.status == 200 and got != expect:
            return "bad-body"
        return str(r.status)


MIX = {
    "get_async": 45,
    "get_sync": 15,
    "post_1mb": 8,
    "chunked_upload": 10,
    "abort_upload": 7,
    "stream": 10,
    "abort_stream": 5,
}


async def soak(port: int, pid: int, total: int, concurrency: int, every: int) -> int:
    url = f"http://127.0.0.1:{port}"
    rng = random.Random(6)
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=total)
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency)
    ) as s:

        async def figures() -> dict[str, Any]:
            async with s.get(url + "/h/diag/") as r:
                return await r.json()

        await asyncio.gather(*(one(k, s, url, port) for k in list(MIX) * 20))  # warm up
        await asyncio.sleep(1.5)  # the pool's idle threads settle once a second
        before = await figures()
        print(f"before: {before}", flush=True)
        queue: asyncio.Queue[str] = asyncio.Queue()
        for kind in kinds:
            queue.put_nowait(kind)
        done = 0

        async def client() -> None:
            nonlocal done
            while not queue.empty():
                kind = queue.get_nowait()
                try:
                    outcome = await one(kind, s, url, port)
                except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                    outcome = "error"
                    errors[f"{kind}: {type(exc).__name__}: {exc}"[:160]] += 1
                outcomes[f"{kind} {outcome}"] += 1
                done += 1
                if done % every == 0:
                    print(
                        f"{done:>6}/{total} {done / (time.monotonic() - started):6.0f} req/s "
                        f"failures={sum(n for k, n in outcomes.items() if _failed(k))} "
                        f"{await figures()}",
                        flush=True,
                    )

        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
        await asyncio.sleep(2.0)
        after = await figures()
    failures = sum(n for k, n in outcomes.items() if _failed(k))
    fivexx = sum(n for k, n in outcomes.items() if k.split()[-1].startswith("5"))
    print(f"\nafter:  {after}")
    print(
        f"requests tried: {total} in {elapsed:.1f} s ({total / elapsed:.0f} req/s), "
        f"failures: {failures}, 5xx: {fivexx}"
    )
    for key, n in sorted(outcomes.items()):
        print(f"  {key:<28} {n}")
    for key, n in errors.most_common(10):
        print(f"  error x{n}: {key}")
    print(
        f"worker RSS {before['rss_kib']} -> {after['rss_kib']} KiB, "
        f"fds {before['fds']} -> {after['fds']}, tasks {before['tasks']} -> {after['tasks']}, "
        f"threads {before['threads']} -> {after['threads']}, "
        f"pool busy/queued {after['pool_busy']}/{after['pool_queued']}; "
        f"/proc VmRSS now {proc_status(pid, 'VmRSS')} kB"
    )
    leaked = after["fds"] > before["fds"] or after["tasks"] > before["tasks"]
    return 1 if failures or fivexx or leaked else 0


def _failed(key: str) -> bool:
    return key.split()[-1] not in ("200", "aborted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--every", type=int, default=5000, help="progress line interval")
    parser.add_argument("--uvloop", action="store_true", help="AiohttpUVLoopWorker")
    args = parser.parse_args()
    extra = ["--keep-alive", "5"]
    if args.uvloop:
        extra += ["-k", "async_handler.worker.AiohttpUVLoopWorker"]
    env = {"HARDENING_DATA_UPLOAD_MAX": str(2 << 20)}
    with hardening_gunicorn(*extra, env=env) as g:
        g.wait_ready()
        pid = worker_pid(g)
        print(
            f"soak: {args.requests} requests, concurrency {args.concurrency}, worker {pid}",
            flush=True,
        )
        code = asyncio.run(soak(g.port, pid, args.requests, args.concurrency, args.every))
        if pid not in g.worker_pids():
            print("FAIL: the worker was replaced during the soak")
            code = 1
        log = g.output()
    tracebacks = log.count("Traceback")
    print(f"gunicorn log: {tracebacks} tracebacks")
    print("PASS" if code == 0 and not tracebacks else "FAIL")
    return 1 if code or tracebacks else code


if __name__ == "__main__":
    sys.exit(main())
