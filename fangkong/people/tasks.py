from celery import shared_task

from fangkong.core.models import ExportJob


@shared_task
def run_person_export(job_id: int):
    from . import exports

    exports.run(ExportJob.objects.select_related("created_by").get(pk=job_id))
