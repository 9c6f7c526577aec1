from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from fangkong.healthcode import services as healthcode
from fangkong.passes import services as passes
from fangkong.screening import services as screening
from fangkong.territory import services as territory
from fangkong.testing import services as testing

from . import exports, imports
from .models import ExportJob, ImportJob

# Each app's 待办 for the home page, in the order they are shown (a reminder from above goes first).
TODO_SOURCES = (screening.todos, passes.todos, healthcode.todos, testing.todos, imports.todos)


@login_required
def home(request):
    """The staff home: what waits for the user (待办), their area and its counts, and the way to each part of
    the system they may use."""
    user = request.user
    area = user.area
    own_places_only = user.manages_places_only()
    counts = territory.counts_by_area(user, [area])[area.pk] if area and not own_places_only else {}
    children = list(area.children.all()) if area and not own_places_only else []
    child_counts = territory.counts_by_area(user, children) if children else {}
    todos = sorted((item for source in TODO_SOURCES for item in source(user)), key=lambda item: not item.urgent)
    return render(request, "home.html", {
        "area": area, "counts": counts, "labels": territory.counter_labels(),
        "children": [(child, child_counts[child.pk]) for child in children],
        "todos": todos, "may_remind": user.has_perm("screening.add_reportreminder"),
        # 卡点值守 only for someone posted at a place: anyone else would land on "not assigned anywhere".
        "may_station": user.has_perm("passes.record_passage") and passes.station_places(user).exists(),
        "managed_places": passes.managed_places(user) if own_places_only else None,
    })


def _own_job(request, pk):
    jobs = ImportJob.objects.all() if request.user.is_superuser else ImportJob.objects.filter(created_by=request.user)
    return get_object_or_404(jobs, pk=pk)


@login_required
def import_job(request, pk):
    """Progress of an import; htmx polls the status block until the job has finished."""
    job = _own_job(request, pk)
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
    template = "export_status.html" if request.headers.get("HX-Request") else "export_job.html"
    return render(request, template, {"job": job})


@login_required
def export_download(request, pk):
    return exports.download(_own_export(request, pk))
