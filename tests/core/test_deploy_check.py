"""`manage.py check --deploy` with production settings finds nothing: Django's security checks, django-csp's and
drf-spectacular's (the OpenAPI document builds without a warning) all pass."""

import base64
import os
import secrets
import subprocess
import sys

from django.conf import settings


def test_the_deploy_check_with_production_settings_finds_no_issue():
    # Not the test run's own settings, nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (refused in production).
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("FANGKONG_", "CELERY_")) and key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    production = {
        "FANGKONG_ENV": "production",
        "FANGKONG_SECRET_KEY": secrets.token_urlsafe(50),
        "FANGKONG_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fangkong"),
        # A shared cache and a broker, as production must have; the check does not connect to them.
        "FANGKONG_REDIS_URL": "redis://127.0.0.1:6379/15",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        "FANGKONG_ALLOWED_HOSTS": "fangkong.example",
        "FANGKONG_PUBLIC_URL": "https://fangkong.example",
    }
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=settings.BASE_DIR,
                            env={**environ, **production}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("System check identified no issues") and len(result.stdout.splitlines()) == 1
