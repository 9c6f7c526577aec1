from celery import shared_task

from .models import ExportJob, ImportJob


@shared_task
def run_import(job_id: int):
    from . import imports

    imports.run(ImportJob.objects.get(pk=job_id))


@shared_task
def run_export(job_id: int):
    from . import exports

    exports.run(ExportJob.objects.select_related("created_by").get(pk=job_id))


@shared_task
def fail_stale_jobs():
    """Celery beat, every minute (settings.CELERY_BEAT_SCHEDULE): jobs whose worker died are marked failed."""
    from . import jobs

    return jobs.fail_stale_jobs()
