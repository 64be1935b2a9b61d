"""Creates the demo superuser so the admin can be tried right after ``make run``.

Demo only: the credentials are public (see demo/credentials.py).
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import migrations

from demo.credentials import DEMO_PASSWORD, DEMO_USERNAME


def create_demo_superuser(apps: Any, schema_editor: Any) -> None:
    """Create the demo superuser unless a user of that name already exists."""
    user_model = apps.get_model("auth", "User")
    if user_model.objects.filter(username=DEMO_USERNAME).exists():
        return
    user_model.objects.create(
        username=DEMO_USERNAME,
        email="admin@example.com",
        password=make_password(DEMO_PASSWORD),
        is_staff=True,
        is_superuser=True,
    )


def delete_demo_superuser(apps: Any, schema_editor: Any) -> None:
    """Remove the demo superuser when this migration is reversed."""
    apps.get_model("auth", "User").objects.filter(username=DEMO_USERNAME).delete()


class Migration(migrations.Migration):
    """Data migration adding the demo superuser."""

    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_demo_superuser, delete_demo_superuser)]
