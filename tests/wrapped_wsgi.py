"""A wsgi.py that wraps the application, as `application = WhiteNoise(application)` does."""
from __future__ import annotations

from tests.worker_support import wrapped_application

application = wrapped_application()
