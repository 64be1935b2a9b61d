"""The gunicorn workers, at the path gunicorn's -k takes:

    gunicorn mysite.wsgi -k async_handler.worker.AiohttpWorker

They live in the aiohttp front end (aiohttp/worker.py).
"""

from __future__ import annotations

from .aiohttp.worker import AiohttpUVLoopWorker, AiohttpWorker

__all__ = ["AiohttpWorker", "AiohttpUVLoopWorker"]
