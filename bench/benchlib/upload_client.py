"""The upload section's client, and a sink that measures the client alone.

`python -m benchlib.upload_client send --port N --path /upload/ --size BYTES` posts BYTES of
body over a raw socket, in `sendall`s of 1 MiB slices of a preallocated buffer, so that making
the body costs nothing; it prints one JSON line: `time.monotonic()` just before the first byte
went out and when the whole answer was in, the CPU time it used in between, and the answer.

`python -m benchlib.upload_client sink --fd N` serves on an inherited socket: it discards each
body with `recv_into` and answers as the hashing views do (less the digest). The client's speed
into it is the most the client can send, which shows whether the client limits the other rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import sys
import time
from typing import Any

SLICE = 1024 * 1024
BUFFER = 16 * SLICE
SEED = 14


def payload() -> bytes:
    """The preallocated buffer the body cycles through: 16 MiB of seeded random bytes."""
    return random.Random(SEED).randbytes(BUFFER)


def expected_sha256(size: int) -> str:
    """The digest of a `size`-byte body as `send` makes it, for checking the views' answers."""
    buf = memoryview(payload())
    digest = hashlib.sha256()
    for _ in range(size // BUFFER):
        digest.update(buf)
    digest.update(buf[: size % BUFFER])
    return digest.hexdigest()


def send(port: int, path: str, size: int, host: str = "127.0.0.1") -> dict[str, Any]:
    """POST a `size`-byte body; return the timings, the status and the answer's JSON."""
    buf = memoryview(payload())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    result: dict[str, Any] = {}
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cpu = time.process_time()
        result["start"] = time.monotonic()
        sent = offset = 0
        try:
            sock.sendall(head)
            while sent < size:
                n = min(SLICE, size - sent, BUFFER - offset)
                sock.sendall(buf[offset : offset + n])
                sent += n
                offset = (offset + n) % BUFFER
        except OSError as exc:  # the server answered early (413, 400) and closed
            result["send_error"] = f"{type(exc).__name__}: {exc}"
        result["sent"] = sent
        result["sent_at"] = time.monotonic()
        answer = bytearray()
        try:
            while data := sock.recv(65536):
                answer += data
        except OSError as exc:
            result["recv_error"] = f"{type(exc).__name__}: {exc}"
        result["done"] = time.monotonic()
        result["client_cpu_s"] = time.process_time() - cpu
    head_bytes, _, body = bytes(answer).partition(b"\r\n\r\n")
    status_line = head_bytes.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    result["status"] = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    try:
        result["answer"] = json.loads(_unchunk(head_bytes, body))
    except ValueError:
        result["answer"] = {"raw": body[:300].decode("utf-8", "replace")}
    return result


def _unchunk(head: bytes, body: bytes) -> bytes:
    """The body of an answer sent with `Transfer-Encoding: chunked` (uvicorn may send one)."""
    if b"transfer-encoding: chunked" not in head.lower():
        return body
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        n = int(size_line.split(b";")[0], 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2 :]
    return bytes(out)


def sink(fd: int) -> None:
    """Answer requests one at a time on the inherited socket, discarding their bodies."""
    listener = socket.socket(fileno=fd)
    scratch = bytearray(SLICE)
    while True:
        conn, _ = listener.accept()
        with conn:
            head = bytearray()
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    break
                head += data
            raw_head, _, early = bytes(head).partition(b"\r\n\r\n")
            length = 0
            for line in raw_head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            got, first = len(early), time.monotonic() if early else 0.0
            while got < length:
                n = conn.recv_into(scratch)
                if not n:
                    break
                first = first or time.monotonic()
                got += n
            data = json.dumps(
                {"bytes": got, "sha256": "", "first_chunk": first, "last_chunk": time.monotonic()}
            ).encode()
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + data
            )


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("send", help="post one body and print the result as JSON")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--path", required=True)
    s.add_argument("--size", type=int, required=True, help="body bytes")
    k = sub.add_parser("sink", help="serve on an inherited socket, discarding bodies")
    k.add_argument("--fd", type=int, required=True)
    args = p.parse_args(argv)
    if args.command == "send":
        print(json.dumps(send(args.port, args.path, args.size)), flush=True)
    else:
        sink(args.fd)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        pass
