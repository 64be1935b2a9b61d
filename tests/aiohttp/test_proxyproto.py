"""The PROXY protocol header: the parser alone, then the worker against gunicorn's sync worker."""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterator

import pytest

from async_handler.aiohttp.proxyproto import (
    V2_SIGNATURE,
    ProxyForbidden,
    ProxyHeaderError,
    ProxyInfo,
    parse,
)
from tests.server import Gunicorn, raw_request
from tests.worker_support import poll

V1 = b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 80\r\n"


def _v2(command: int = 1, family: int = 1, addresses: bytes | None = None) -> bytes:
    if addresses is None:
        addresses = (socket.inet_pton(socket.AF_INET, "198.51.100.9")
                     + socket.inet_pton(socket.AF_INET, "10.0.0.2")
                     + struct.pack(">HH", 40000, 8000))
    return (V2_SIGNATURE + bytes([0x20 | command, (family << 4) | 1])
            + struct.pack(">H", len(addresses)) + addresses)


def test_v1_and_the_bytes_after_it() -> None:
    info, used = parse(V1 + b"GET / HTTP/1.1\r\n", "auto", True)  # type: ignore[misc]
    assert info == ProxyInfo("TCP4", "203.0.113.7", 51234, "10.0.0.1", 80)
    assert used == len(V1)
    six = b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"
    assert parse(six, "v1", True) == (ProxyInfo("TCP6", "2001:db8::1", 1, "2001:db8::2", 2),
                                      len(six))


def test_v2_ipv4_ipv6_and_local() -> None:
    header = _v2()
    assert parse(header + b"GET", "auto", True) == (
        ProxyInfo("TCP4", "198.51.100.9", 40000, "10.0.0.2", 8000), len(header))
    six = (socket.inet_pton(socket.AF_INET6, "2001:db8::7") * 2 + struct.pack(">HH", 5, 6))
    assert parse(_v2(family=2, addresses=six), "v2", True) == (
        ProxyInfo("TCP6", "2001:db8::7", 5, "2001:db8::7", 6), len(_v2(family=2, addresses=six)))
    local = _v2(command=0, addresses=b"")
    assert parse(local, "auto", True) == (ProxyInfo("LOCAL"), len(local))


def test_partial_headers_wait_and_plain_requests_pass() -> None:
    for whole in (V1, _v2()):
        for cut in (1, 5, 13, len(whole) - 1):
            assert parse(whole[:cut], "auto", True) is None, cut
    assert parse(b"GET / HTTP/1.1\r\n", "auto", True) == (None, 0)
    # A mode names the only version it takes.
    assert parse(V1, "v2", True) == (None, 0)
    assert parse(_v2(), "v1", True) == (None, 0)


@pytest.mark.parametrize("bad", [
    b"PROXY TCP4 203.0.113.7 10.0.0.1 51234\r\n",
    b"PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n",
    b"PROXY TCP4 203.0.113.999 10.0.0.1 1 2\r\n",
    b"PROXY TCP4 203.0.113.7 10.0.0.1 1 70000\r\n",
    b"PROXY TCP4 " + b"9" * 120,
    V2_SIGNATURE + bytes([0x31, 0x11, 0, 0]),
    _v2(family=1, addresses=b"\x00" * 4),
], ids=["fields", "protocol", "address", "port", "too-long", "v2-version", "v2-short"])
def test_malformed_headers_are_errors(bad: bytes) -> None:
    with pytest.raises(ProxyHeaderError) as caught:
        parse(bad, "auto", True)
    assert caught.value.status == 400


def test_a_peer_not_allowed_is_forbidden() -> None:
    with pytest.raises(ProxyForbidden) as caught:
        parse(V1, "auto", False)
    assert caught.value.status == 403
    assert parse(b"GET / HTTP/1.1\r\n", "auto", False) == (None, 0)


META = (b"GET /meta/?k=REMOTE_ADDR&k=REMOTE_PORT&k=PROXY_PROTOCOL&k=PROXY_ADDR&k=PROXY_PORT "
        b"HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")


def _status_and_meta(port: int, data: bytes) -> tuple[bytes, dict[str, str] | None]:
    reply = raw_request(port, data)
    head, _, body = reply.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    return status, (json.loads(body)["meta"] if status == b"200" else None)


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Gunicorn, Gunicorn]]:
    args = ("--proxy-protocol", "auto")
    with Gunicorn(*args, worker="sync") as reference, Gunicorn(*args) as ours:
        reference.wait_ready()
        ours.wait_ready()
        yield reference, ours


@pytest.mark.parametrize("prefix", [V1, _v2(), b""], ids=["v1", "v2", "none"])
def test_environ_matches_gunicorn(pair: tuple[Gunicorn, Gunicorn], prefix: bytes) -> None:
    reference, ours = pair
    expected = _status_and_meta(reference.port, prefix + META)
    assert expected[0] == b"200"
    got = _status_and_meta(ours.port, prefix + META)
    if not prefix:  # the socket's own port differs between the two connections
        for meta in (got[1], expected[1]):
            assert meta is not None
            meta.pop("REMOTE_PORT")
    assert got == expected


def test_malformed_header_gets_400_and_is_logged(pair: tuple[Gunicorn, Gunicorn]) -> None:
    reference, ours = pair
    bad = b"PROXY TCP4 203.0.113.7 nonsense 1 2\r\n" + META
    assert _status_and_meta(reference.port, bad)[0] == b"400"
    assert _status_and_meta(ours.port, bad)[0] == b"400"
    poll(lambda: "invalid address in PROXY line" in ours.output(), 5, "the warning")
    assert _status_and_meta(ours.port, META)[0] == b"200"


def test_peer_outside_proxy_allow_from_gets_403() -> None:
    args = ("--proxy-protocol", "auto", "--proxy-allow-from", "10.9.9.9")
    with Gunicorn(*args, worker="sync") as reference, Gunicorn(*args) as ours:
        reference.wait_ready()
        ours.wait_ready()
        assert _status_and_meta(reference.port, V1 + META)[0] == b"403"
        assert _status_and_meta(ours.port, V1 + META)[0] == b"403"
        assert _status_and_meta(ours.port, META)[0] == b"200"
