"""Gives the demo superuser a DRF token, so the API can be tried with curl right after ``make run``.

Demo only: the token is public (see demo/credentials.py), like the password.
"""
from __future__ import annotations

from typing import Any

from django.db import migrations

from demo.credentials import DEMO_TOKEN, DEMO_USERNAME


def create_demo_token(apps: Any, schema_editor: Any) -> None:
    """Create the demo user's token unless that user is missing or already has one."""
    user = apps.get_model("auth", "User").objects.filter(username=DEMO_USERNAME).first()
    token_model = apps.get_model("authtoken", "Token")
    if user is None or token_model.objects.filter(user=user).exists():
        return
    token_model.objects.create(key=DEMO_TOKEN, user=user)


def delete_demo_token(apps: Any, schema_editor: Any) -> None:
    """Remove the demo token when this migration is reversed."""
    apps.get_model("authtoken", "Token").objects.filter(key=DEMO_TOKEN).delete()


class Migration(migrations.Migration):
    """Data migration adding the demo superuser's API token."""

    dependencies = [
        ("api", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("demo", "0001_demo_superuser"),
    ]

    operations = [migrations.RunPython(create_demo_token, delete_demo_token)]
