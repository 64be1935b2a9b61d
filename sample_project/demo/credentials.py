"""The demo superuser's credentials, shown on the index page.

For the demo only: anyone who reads this file or the index page can log in to the admin.
"""
from __future__ import annotations

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "async-demo"
