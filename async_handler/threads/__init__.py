"""The thread pool that runs a worker's sync Django code: pool, per-request executor, tuner."""

from __future__ import annotations

from .executor import RequestExecutor
from .pool import ThreadPool
from .thread import PoolThread

__all__ = ["PoolThread", "RequestExecutor", "ThreadPool"]
