"""Readies BENCH_DATA_DIR before any server starts: migrates, adds 100 items, writes the big file.

Also makes a user with a logged-in session, for the PostgreSQL section's `request.auser()` row,
and prints its key last, as `SESSION <key>`.

Run as `python -m bench_project.prepare` with bench/ on the path.
"""

from __future__ import annotations

import os

import django


def write_big_file(path: os.PathLike[str], size: int) -> None:
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as out:
        remaining = size
        while remaining > 0:
            chunk = block[: min(len(block), remaining)]
            out.write(chunk)
            remaining -= len(chunk)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_project.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench_project.models import Item

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    if not Item.objects.exists():
        Item.objects.bulk_create(Item(name=f"item {n}", price=n) for n in range(1, 101))
    if (
        not settings.BIG_FILE.exists()
        or settings.BIG_FILE.stat().st_size != settings.BIG_FILE_BYTES
    ):
        write_big_file(settings.BIG_FILE, settings.BIG_FILE_BYTES)
    print("SESSION " + logged_in_session())


def logged_in_session() -> str:
    """A stored session of user `bench`, as login() would leave it; returns its key."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = get_user_model().objects.get_or_create(username="bench")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


if __name__ == "__main__":
    main()
