from celery import shared_task

from .models import ImportJob


@shared_task
def run_import(job_id: int):
    from . import imports

    imports.run(ImportJob.objects.get(pk=job_id))
