"""System checks that refuse what production must not run with, and the same refusal for the processes that
no manage.py command checks (the WSGI application, the Celery worker and beat).

A production deployment runs several processes (app workers, nodes, Celery). Whatever one of them revokes or
counts (a suspended or rotated place code, a recorder's access, an API token, rate limits, the pass codes'
short numbers) lives in the cache, so the cache must be one that all of them share; and background work must
go through a real broker, not run inside the request that asked for it.
"""

from django.conf import settings
from django.core.checks import Error, register, run_checks
from django.core.exceptions import ImproperlyConfigured

# The tag of the checks that a production process refuses to start without (refuse_unsafe_production).
PRODUCTION_TAG = "fangkong_production"
# Cache backends that every process of a deployment shares.
SHARED_CACHES = ("redis", "memcached")
# Brokers that keep tasks inside one process (kombu's in-memory transport) or one machine's disk.
LOCAL_BROKERS = ("memory", "filesystem", "cache")


@register(PRODUCTION_TAG)
def shared_cache(app_configs=None, **kwargs):
    return cache_errors(settings.CACHES["default"]["BACKEND"]) if settings.PRODUCTION else []


@register(PRODUCTION_TAG)
def real_broker(app_configs=None, **kwargs):
    return broker_errors(settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER) if settings.PRODUCTION else []


def cache_errors(backend: str) -> list[Error]:
    if any(name in backend.lower() for name in SHARED_CACHES):
        return []
    return [Error(
        f"The cache ({backend}) is not shared between processes: a revoked place code, recorder access or API "
        "token would keep working in the other processes, and rate limits would count per process.",
        hint="Set FANGKONG_REDIS_URL (e.g. redis://127.0.0.1:6379/0) when FANGKONG_ENV=production.",
        id="fangkong.E010")]


def broker_errors(url: str, eager: bool) -> list[Error]:
    url = url or ""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if url else ""
    if url and scheme not in LOCAL_BROKERS and not eager:
        return []
    return [Error(
        "Background work (imports, exports, reports, the retention purge) would run inside web requests or "
        f"one process{f' ({scheme}://)' if scheme else ''}: production needs a real Celery broker.",
        hint="Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/1) when FANGKONG_ENV=production.",
        id="fangkong.E011")]


def refuse_unsafe_production():
    """Raise ImproperlyConfigured with every production error: for wsgi.py and the Celery worker and beat,
    which `manage.py check` never sees start."""
    errors = [error for error in run_checks(tags=[PRODUCTION_TAG]) if error.is_serious()]
    if errors:
        raise ImproperlyConfigured("FANGKONG_ENV=production refuses to start:\n" + "\n".join(
            f"{error.id}: {error.msg} {error.hint or ''}" for error in errors))
