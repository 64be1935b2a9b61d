"""Refuse unmasked client frames (RFC 6455 5.1: the server MUST close the connection).

aiohttp's frame parser unmasks a masked frame but takes an unmasked one too.
MaskGuard follows the frame boundaries of the client's byte stream, reading
only each frame's header and skipping its payload, and finds the first
frame whose mask bit is clear. GuardedParser puts it in front of aiohttp's
parser on an upgraded connection.
"""

from __future__ import annotations

from typing import Any, Callable


class MaskGuard:
    """Follows frame headers across chunks, and finds where an unmasked frame starts."""

    __slots__ = ("_head", "_skip")

    def __init__(self) -> None:
        self._head = bytearray()  # the current frame's header so far
        self._skip = 0  # payload bytes of the current frame still to pass

    def unmasked_at(self, data: bytes | bytearray | memoryview) -> int:
        """Where in `data` the first unmasked frame starts (0 if it began before); -1: none."""
        view, i, n = memoryview(data), 0, len(data)
        head = self._head
        start = 0
        while i < n:
            if self._skip:
                step = min(self._skip, n - i)
                self._skip -= step
                i += step
                continue
            if not head:
                start = i
            need = 2
            if len(head) >= 2:
                flag = head[1] & 0x7F
                need = 6 + (2 if flag == 126 else 8 if flag == 127 else 0)
            take = min(need - len(head), n - i)
            head += view[i:i + take]
            i += take
            if len(head) >= 2 and not head[1] & 0x80:
                return start
            if len(head) == need and need > 2:
                flag = head[1] & 0x7F
                self._skip = flag if flag < 126 else int.from_bytes(head[2:need - 4], "big")
                head.clear()
        return -1


class GuardedParser:
    """aiohttp's WebSocketReader behind a MaskGuard: calls `refuse` once, then drops input."""

    __slots__ = ("_parser", "_guard", "_refuse", "_refused")

    def __init__(self, parser: Any, refuse: Callable[[], None]) -> None:
        self._parser = parser
        self._guard = MaskGuard()
        self._refuse = refuse
        self._refused = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._refused:
            return False, b""
        at = self._guard.unmasked_at(data)
        if at < 0:
            result: tuple[bool, bytes] = self._parser.feed_data(data)
            return result
        if at:
            self._parser.feed_data(data[:at])  # the whole frames before it
        self._refused = True
        self._refuse()
        return False, b""

    def feed_eof(self) -> None:
        self._parser.feed_eof()
