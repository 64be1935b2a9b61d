"""The test project's wsgi.py, as a user writes it."""
from __future__ import annotations

import os

from async_handler import get_async_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
application = get_async_application()
