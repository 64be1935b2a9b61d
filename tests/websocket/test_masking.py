"""MaskGuard follows client frame boundaries through every length form and any chunking."""

from __future__ import annotations

import os

import pytest

from async_handler.websocket.masking import MaskGuard


def _frame(payload: bytes, masked: bool = True, opcode: int = 0x2) -> bytes:
    n = len(payload)
    flag = 0x80 if masked else 0
    if n < 126:
        head = bytes([0x80 | opcode, flag | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, flag | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, flag | 127]) + n.to_bytes(8, "big")
    return head + (os.urandom(4) if masked else b"") + payload


STREAM = _frame(b"a" * 5) + _frame(b"\x80" * 300) + _frame(bytes(70000)) + _frame(b"")


@pytest.mark.parametrize("chunk", [1, 3, 7, 4096, len(STREAM)])
def test_masked_frames_pass_in_any_chunking(chunk: int) -> None:
    guard = MaskGuard()
    for i in range(0, len(STREAM), chunk):
        assert guard.unmasked_at(STREAM[i:i + chunk]) == -1


@pytest.mark.parametrize("chunk", [1, 2, 5, 4096, 10**6])
def test_the_first_unmasked_frame_is_found_where_it_starts(chunk: int) -> None:
    data = STREAM + _frame(b"\xff" * 200, masked=False) + _frame(b"x")
    guard = MaskGuard()
    for i in range(0, len(data), chunk):
        at = guard.unmasked_at(data[i:i + chunk])
        if at >= 0:
            # At the frame's start, or at 0 of the chunk with the rest of its first two bytes.
            assert i + at == len(STREAM) or (at == 0 and i == len(STREAM) + 1)
            return
    raise AssertionError("the unmasked frame went unnoticed")
