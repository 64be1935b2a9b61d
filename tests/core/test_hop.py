"""hop.run_sync keeps sync_to_async's semantics on the handler's hot path."""

from __future__ import annotations

import contextvars
import sys
import threading

from asgiref.sync import sync_to_async
from django.utils import translation

from async_handler import AsyncDjangoApplication
from async_handler.core import hop

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


async def test_runs_on_the_same_thread_as_sync_to_async(app: AsyncDjangoApplication) -> None:
    async with app.request_scope():
        ours = await hop.run_sync(threading.get_ident)
        theirs = await sync_to_async(threading.get_ident)()
    assert ours == theirs != threading.get_ident()


async def test_context_and_locals_travel_both_ways(app: AsyncDjangoApplication) -> None:
    def in_thread() -> tuple[str, str]:
        seen = (VAR.get(), translation.get_language())
        VAR.set("from thread")
        translation.activate("de")
        return seen

    async with app.request_scope():
        VAR.set("from loop")
        translation.activate("fr")
        try:
            seen = await hop.run_sync(in_thread)
            assert seen == ("from loop", "fr")
            assert VAR.get() == "from thread"
            assert translation.get_language() == "de"
        finally:
            translation.deactivate()


async def test_inside_an_except_block_the_thread_sees_the_exception(
        app: AsyncDjangoApplication) -> None:
    async with app.request_scope():
        try:
            raise KeyError("boom")
        except KeyError:
            kind = await hop.run_sync(lambda: sys.exc_info()[0])
    assert kind is KeyError


async def test_outside_a_request_it_is_sync_to_async() -> None:
    assert await hop.run_sync(threading.get_ident) != threading.get_ident()
