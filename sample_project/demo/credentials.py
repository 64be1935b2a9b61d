"""The demo superuser's credentials and API token, shown on the index page.

For the demo only: anyone who reads this file or the index page can log in to the admin and
call the API as that user.
"""
from __future__ import annotations

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "async-demo"
# DRF token keys are at most 40 characters; this one says what it is.
DEMO_TOKEN = "demo-only-token-async-handler-not-secret"
