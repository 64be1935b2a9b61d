"""One pool thread: it serves requests' executors handed to it and runs the pool's hooks.

Between requests it runs the hooks that keep per-thread state (Django's DB
connections) as Django would around a request: `on_bind` when it starts
serving with no live request having used it, `on_switch` when it serves one
more request while others that used it are still live, and the owed
`on_release` once every request that used it has ended.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .executor import RequestExecutor
    from .pool import ThreadPool

SETTLE = object()  # pay an owed release hook now
RETIRE = object()  # a thread beyond the pool's size: pay what is owed and exit
STOP = object()  # the pool is shutting down


def _run(future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...],
         kwargs: dict[str, Any]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:
        future.set_exception(exc)
        del exc
    else:
        future.set_result(result)


class PoolThread(threading.Thread):
    """A daemon thread of a ThreadPool; its queue carries executors to serve and commands."""

    def __init__(self, pool: ThreadPool, index: int, *, parker: bool = False) -> None:
        name = f"{pool.name}_parked_{index}" if parker else f"{pool.name}_{index}"
        super().__init__(name=name, daemon=True)
        self.pool = pool
        self.parker = parker  # runs only calls that block on the loop (ThreadPool.parking)
        self.queue: SimpleQueue[Any] = SimpleQueue()
        # Guarded by the pool's lock:
        self.users: set[RequestExecutor] = set()  # live requests that ran calls here
        self.owes_release = False  # every user has ended; on_release not yet run
        self.parked = False  # blocked waiting on the event loop (see ThreadPool.park)

    def run(self) -> None:
        pool = self.pool
        while True:
            item = self.queue.get()
            if item is STOP or item is RETIRE:
                if pool._take_owed(self):
                    pool._run_hook(pool.on_release)
                pool._run_hook(pool.on_stop)
                return
            if type(item) is tuple:  # a parked call
                pool._run_hook(pool.on_bind)
                _run(*item)
                pool._run_hook(pool.on_parked_done)
                del item
                if pool._parker_done(self):
                    pool._run_hook(pool.on_stop)
                    return
                continue
            if item is SETTLE:
                if pool._take_owed(self):
                    pool._run_hook(pool.on_release)
                continue
            executor: RequestExecutor | None = item
            while executor is not None:
                executor = executor._serve(self)
            del item, executor
