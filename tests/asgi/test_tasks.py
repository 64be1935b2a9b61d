"""Stopping a listener task (asgi/tasks.py) without swallowing the caller's own cancel,
and the two listeners of the ASGI front end that stop that way."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import pytest

from async_handler.asgi.exchange import Receiver
from async_handler.asgi.tasks import cancel_and_wait
from async_handler.asgi.websocket import ASGISocket
from async_handler.websocket.transport import AcceptOptions


class SlowToLetGo:
    """An ASGI `receive` that, once cancelled, takes until `release` to finish: a server
    whose receive() lets go late."""

    def __init__(self) -> None:
        self.letting_go = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self) -> dict[str, Any]:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.letting_go.set()
            await self.release.wait()
            raise
        raise AssertionError("unreachable")


async def _cancelled_while_stopping(receive: SlowToLetGo,
                                    stop: Callable[[], Awaitable[None]]) -> bool:
    """Cancel a task while it waits in `stop()`; whether it carried on after all."""
    carried_on = False

    async def caller() -> None:
        nonlocal carried_on
        await stop()
        carried_on = True

    task = asyncio.ensure_future(caller())
    await receive.letting_go.wait()
    task.cancel()  # the request is cancelled while it waits for its listener to end
    await asyncio.wait((task,))
    receive.release.set()
    return carried_on or not task.cancelled()


async def test_cancel_and_wait_keeps_the_callers_own_cancel() -> None:
    receive = SlowToLetGo()
    listener = asyncio.ensure_future(receive())
    await asyncio.sleep(0)
    assert not await _cancelled_while_stopping(receive, lambda: cancel_and_wait(listener))
    await asyncio.wait((listener,))
    assert listener.cancelled()


async def test_cancel_and_wait_raises_the_tasks_own_error() -> None:
    async def fails_on_cancel() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("transport is closed") from None

    task = asyncio.ensure_future(fails_on_cancel())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="transport is closed"):
        await cancel_and_wait(task)


async def test_a_websocket_stopping_its_reader_keeps_a_cancel_of_the_request() -> None:
    receive = SlowToLetGo()

    async def send(message: dict[str, Any]) -> None:
        pass

    socket = ASGISocket(receive, send, asyncio.current_task(),  # type: ignore[arg-type]
                        "127.0.0.1", AcceptOptions(None, None, 0, False))
    await asyncio.sleep(0)  # the reader is waiting in receive()
    assert not await _cancelled_while_stopping(receive, socket.stop)
    await socket.stop()


async def test_a_request_stopping_its_disconnect_watch_keeps_a_cancel_of_the_request() -> None:
    receive = SlowToLetGo()
    receiver = Receiver(receive, asyncio.current_task())  # type: ignore[arg-type]
    receiver.watch()
    while receiver.listener is None:  # the watch starts on the loop's next turn
        await asyncio.sleep(0)
    await asyncio.sleep(0)  # and is waiting in receive()
    listener = receiver.listener
    assert not await _cancelled_while_stopping(receive, receiver.stop)
    await asyncio.wait((listener,))
