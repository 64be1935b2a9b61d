"""Settings of the benchmark project: Django's startproject defaults with DEBUG off and SQLite.

The database and the large download live in BENCH_DATA_DIR, a temporary folder made per run.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

DATA_DIR = Path(
    os.environ.get("BENCH_DATA_DIR", Path(__file__).resolve().parent.parent / "results" / "raw")
)
BIG_FILE = DATA_DIR / "big.bin"
BIG_FILE_BYTES = int(os.environ.get("BENCH_BIG_FILE_BYTES", str(100 * 1024 * 1024)))

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench_project.urls"
WSGI_APPLICATION = "bench_project.wsgi_async.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "bench_project",
]
# Only for the DRF row, which is skipped without it; adrf needs no app entry.
if find_spec("rest_framework") is not None:
    INSTALLED_APPS.insert(-1, "rest_framework")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "db.sqlite3"),
    }
}
