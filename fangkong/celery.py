import os
import sys

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")

app = Celery("fangkong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_unsafe_production(**kwargs):
    """A worker or beat of a production deployment without a shared cache or a real broker does not start
    (core/checks.py). SystemExit, since Celery logs and ignores a signal receiver's ordinary exceptions."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    django.setup()
    from fangkong.core.checks import refuse_unsafe_production

    try:
        refuse_unsafe_production()
    except ImproperlyConfigured as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
