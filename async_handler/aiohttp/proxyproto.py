"""The PROXY protocol header (HAProxy's v1 text and v2 binary forms) that a load balancer
sends before the first request of a connection, naming the client it accepted.

A pure parser: the server feeds it the connection's first bytes and gets back
the client's address and how many bytes the header took. Specifications:
https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_PREFIX = b"PROXY "
V1_MAX = 107  # the longest v1 line, CRLF included
MODES = ("off", "v1", "v2", "auto")


class ProxyHeaderError(Exception):
    """A malformed PROXY header: the connection gets 400 and is closed."""

    status = 400
    reason = "Bad Request"


class ProxyForbidden(ProxyHeaderError):
    """A PROXY header from a peer not allowed to send one: 403."""

    status = 403
    reason = "Forbidden"


@dataclass(frozen=True)
class ProxyInfo:
    """What the header said; addresses are None for LOCAL and UNSPEC headers."""

    protocol: str
    client_addr: str | None = None
    client_port: int | None = None
    proxy_addr: str | None = None
    proxy_port: int | None = None


def parse(buf: bytes, mode: str, allowed: bool) -> tuple[ProxyInfo | None, int] | None:
    """(info, header length) for the bytes a connection began with, or None to wait for more.

    `(None, 0)` means the connection does not start with a PROXY header of an
    accepted version; the bytes are then an ordinary request.
    """
    for marker, version in ((V2_SIGNATURE, "v2"), (V1_PREFIX, "v1")):
        if mode not in (version, "auto"):
            continue
        if buf[:len(marker)] == marker[:len(buf)] and len(buf) < len(marker):
            return None  # could still be this header
        if buf.startswith(marker):
            if not allowed:
                raise ProxyForbidden("PROXY header from a peer not in proxy_allow_ips")
            return _v2(buf) if version == "v2" else _v1(buf)
    return None, 0


def _v1(buf: bytes) -> tuple[ProxyInfo, int] | None:
    end = buf.find(b"\r\n", 0, V1_MAX)
    if end < 0:
        if len(buf) >= V1_MAX:
            raise ProxyHeaderError("PROXY v1 line too long")
        return None
    try:
        line = buf[:end].decode("ascii")
    except UnicodeDecodeError:
        raise ProxyHeaderError("PROXY v1 line is not ASCII") from None
    bits = line.split(" ")
    if len(bits) != 6 or bits[1] not in ("TCP4", "TCP6"):
        raise ProxyHeaderError(f"invalid PROXY line {line!r}")
    family = socket.AF_INET if bits[1] == "TCP4" else socket.AF_INET6
    try:
        for addr in bits[2:4]:
            socket.inet_pton(family, addr)
        ports = [int(p) for p in bits[4:6] if p.isdigit()]
    except OSError:
        raise ProxyHeaderError(f"invalid address in PROXY line {line!r}") from None
    if len(ports) != 2 or not all(0 <= p <= 65535 for p in ports):
        raise ProxyHeaderError(f"invalid port in PROXY line {line!r}")
    return ProxyInfo(bits[1], bits[2], ports[0], bits[3], ports[1]), end + 2


def _v2(buf: bytes) -> tuple[ProxyInfo, int] | None:
    if len(buf) < 16:
        return None
    ver_cmd, fam_proto, length = buf[12], buf[13], struct.unpack(">H", buf[14:16])[0]
    if ver_cmd >> 4 != 2 or ver_cmd & 0x0F not in (0, 1):
        raise ProxyHeaderError(f"unsupported PROXY v2 version/command {ver_cmd:#x}")
    total = 16 + length
    if len(buf) < total:
        return None
    if ver_cmd & 0x0F == 0:  # LOCAL: the proxy's own connection (a health check, say)
        return ProxyInfo("LOCAL"), total
    family, proto = fam_proto >> 4, fam_proto & 0x0F
    if family == 0:
        return ProxyInfo("UNSPEC"), total
    if proto != 1:
        raise ProxyHeaderError("PROXY v2 header for a transport other than TCP")
    data = buf[16:total]
    if family == 1 and length >= 12:
        size, af, name = 4, socket.AF_INET, "TCP4"
    elif family == 2 and length >= 36:
        size, af, name = 16, socket.AF_INET6, "TCP6"
    else:
        raise ProxyHeaderError(f"unsupported or short PROXY v2 address family {family}")
    src = socket.inet_ntop(af, data[:size])
    dst = socket.inet_ntop(af, data[size:2 * size])
    sport, dport = struct.unpack(">HH", data[2 * size:2 * size + 4])
    return ProxyInfo(name, src, sport, dst, dport), total
