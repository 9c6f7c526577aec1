"""Production refuses to start with a per-process cache or without a real Celery broker: `manage.py check`
errors (fangkong.E010, fangkong.E011), and the WSGI application and the Celery worker, which no check command
sees start, stop too. Revocations, rate limits and pass codes' short numbers live in that cache, so a cache of
one process would let a revoked code work on in the others."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from fangkong.core import checks

PRODUCTION = {
    "FANGKONG_ENV": "production", "FANGKONG_SECRET_KEY": secrets.token_urlsafe(50),
    "FANGKONG_FIELD_KEYS": "ZGV2LW9ubHktZmFuZ2tvbmctZmllbGQta2V5LTAwMDA=",
}
SHARED = {"FANGKONG_REDIS_URL": "redis://127.0.0.1:6379/13", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13"}


def run(*args, timeout=120, **env):
    environ = {key: value for key, value in os.environ.items()
               if key not in ("FANGKONG_REDIS_URL", "CELERY_BROKER_URL", "FANGKONG_ENV")}
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env={**environ, **PRODUCTION, **env},
                          capture_output=True, text=True, timeout=timeout)


def test_production_check_refuses_a_per_process_cache_and_tasks_run_in_the_request():
    result = run("manage.py", "check")
    assert result.returncode != 0
    assert "fangkong.E010" in result.stderr and "fangkong.E011" in result.stderr


def test_production_check_passes_with_redis_and_a_broker():
    result = run("manage.py", "check", **SHARED)
    assert result.returncode == 0, result.stderr
    assert "fangkong.E01" not in result.stdout + result.stderr


def test_the_wsgi_application_refuses_to_start_without_a_shared_cache():
    result = run("-c", "import fangkong.wsgi", CELERY_BROKER_URL=SHARED["CELERY_BROKER_URL"])
    assert result.returncode != 0
    assert "fangkong.E010" in result.stderr and "fangkong.E011" not in result.stderr


def test_the_wsgi_application_starts_with_redis_and_a_broker():
    result = run("-c", "import fangkong.wsgi", **SHARED)
    assert result.returncode == 0, result.stderr


def test_a_celery_worker_refuses_to_start_without_a_shared_cache():
    result = run("-m", "celery", "-A", "fangkong", "worker", "--pool=solo", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "--loglevel=WARNING", CELERY_BROKER_URL=SHARED["CELERY_BROKER_URL"])
    assert result.returncode != 0
    assert "fangkong.E010" in result.stderr


@pytest.mark.parametrize(("cache", "broker", "eager", "errors"), [
    ("django.core.cache.backends.locmem.LocMemCache", "redis://r:6379/1", False, ["fangkong.E010"]),
    ("django.core.cache.backends.filebased.FileBasedCache", "redis://r:6379/1", False, ["fangkong.E010"]),
    ("django.core.cache.backends.dummy.DummyCache", "redis://r:6379/1", False, ["fangkong.E010"]),
    ("django.core.cache.backends.redis.RedisCache", "", True, ["fangkong.E011"]),
    ("django.core.cache.backends.redis.RedisCache", "memory://", False, ["fangkong.E011"]),
    ("django.core.cache.backends.redis.RedisCache", "redis://r:6379/1", True, ["fangkong.E011"]),
    ("django.core.cache.backends.redis.RedisCache", "amqp://guest@mq//", False, []),
    ("django.core.cache.backends.memcached.PyMemcacheCache", "redis://r:6379/1", False, []),
])
def test_what_production_refuses(cache, broker, eager, errors):
    assert [error.id for error in checks.cache_errors(cache) + checks.broker_errors(broker, eager)] == errors


def test_development_keeps_its_one_process_cache_and_eager_tasks(settings):
    settings.PRODUCTION = False
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = "", True
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert checks.shared_cache() + checks.real_broker() == []
