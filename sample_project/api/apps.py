"""App config for the api app: a small Django REST framework API served by async views."""
from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """Registers the api app under the label ``api``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "async_handler DRF demo"
