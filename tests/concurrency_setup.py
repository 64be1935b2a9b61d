"""Prepares a concurrency test database: migrations, one Item, a user and a session for them.

Run as a script under the settings the gunicorn worker will use; prints the session key.
"""

from __future__ import annotations

import django


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from tests.models import Item

    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    Item.objects.get_or_create(name="concurrency")
    user, _ = get_user_model().objects.get_or_create(username="concurrency")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    print(session.session_key)


if __name__ == "__main__":
    main()
