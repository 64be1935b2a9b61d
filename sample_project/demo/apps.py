"""App config for the demo app: the sample project's views, templates, CSS and demo user."""
from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Registers the demo app under the label ``demo``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "async_handler demo"
