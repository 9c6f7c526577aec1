"""The database setting: production names its PostgreSQL server; only development falls back to the private one."""

import os
import subprocess
import sys

from django.conf import settings


def load_settings(**env):
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-c", "import fangkong.settings"], cwd=settings.BASE_DIR,
                          env={**environ, **env}, capture_output=True, text=True)


def test_production_without_a_database_url_refuses_to_start():
    result = load_settings(FANGKONG_ENV="production", FANGKONG_SECRET_KEY="x" * 50,
                           FANGKONG_FIELD_KEYS="ZGV2LW9ubHktZmFuZ2tvbmctZmllbGQta2V5LTAwMDA=")
    assert result.returncode != 0
    assert "DATABASE_URL must be set when FANGKONG_ENV=production" in result.stderr
