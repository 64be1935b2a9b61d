"""Django project that the benchmark serves under every stack: default middleware, SQLite."""

from __future__ import annotations
