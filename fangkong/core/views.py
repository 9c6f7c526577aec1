from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from . import exports, imports, jobs
from .models import ExportJob, ExportStatus, ImportJob, JobStatus


def _own_job(request, pk):
    jobs = ImportJob.objects.all() if request.user.is_superuser else ImportJob.objects.filter(created_by=request.user)
    return get_object_or_404(jobs, pk=pk)


@login_required
def import_job(request, pk):
    """Progress of an import; htmx polls the status block until the job has finished."""
    job = _own_job(request, pk)
    if job.status == JobStatus.RUNNING and jobs.fail_stale_jobs():  # its worker died: say so, and stop polling
        job.refresh_from_db()
    template = "import_status.html" if request.headers.get("HX-Request") else "import_job.html"
    title, header = imports.skipped_labels(job)
    return render(request, template, {"job": job, "errors": job.errors[:500], "skipped_title": title,
                                      "skipped_header": header})


@login_required
def import_errors(request, pk):
    job = _own_job(request, pk)
    return imports.xlsx_download(HttpResponse, imports.error_report(job),
                                 _("导入错误-%(n)d.xlsx") % {"n": job.pk})


def _own_export(request, pk) -> ExportJob:
    # Only the one who asked for an export may see or fetch it; anyone else gets "not found".
    return get_object_or_404(ExportJob, pk=pk, created_by=request.user)


@login_required
def export_job(request, pk):
    """Progress of an export; htmx polls the status block until the file is ready."""
    job = _own_export(request, pk)
    if job.status == ExportStatus.RUNNING and jobs.fail_stale_jobs():
        job.refresh_from_db()
    template = "export_status.html" if request.headers.get("HX-Request") else "export_job.html"
    return render(request, template, {"job": job})


@login_required
def export_download(request, pk):
    return exports.download(_own_export(request, pk))
