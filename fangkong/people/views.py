from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.models import AuditEvent
from fangkong.core.pages import paginate
from fangkong.territory.models import Area, AreaLevel

from . import services
from .exports import export_persons
from .forms import PersonForm
from .models import Person, Sex, Tag


def _filtered(request):
    """The persons list with the request's search and filters applied, within the user's scope."""
    persons = Person.objects.visible_to(request.user).search(request.GET.get("q"))
    filters = {key: request.GET[key] for key in ("q", "area", "sex", "tag") if request.GET.get(key)}
    if filters.get("area", "").isdigit():
        area = Area.objects.visible_to(request.user).filter(pk=filters["area"]).first()
        persons = persons.in_area(area) if area else persons.none()
    if filters.get("sex") in Sex.values:
        persons = persons.filter(sex=filters["sex"])
    if filters.get("tag"):
        persons = persons.filter(tags__code=filters["tag"])
    return persons, filters


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_list(request):
    persons, filters = _filtered(request)
    context = paginate(request, persons.select_related("area", "household"))
    return render(request, "people/list.html", {
        **context, "filters": filters, "sexes": Sex.choices, "tags": Tag.objects.all(),
        "areas": Area.objects.visible_to(request.user).exclude(level=AreaLevel.DISTRICT),
    })


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_detail(request, pk):
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("area", "household__grid"), pk=pk)
    history = AuditEvent.objects.filter(object_type=Person._meta.label, object_id=str(person.pk))[:50]
    return render(request, "people/detail.html", {
        "person": person, "history": history, "ancestors": person.area.ancestors() + [person.area],
        "may_reveal": request.user.may_see_full_numbers(), "person_numbers": services.display_numbers(person),
    })


@login_required
@require_POST
def person_reveal(request, pk):
    """The full numbers, shown in place on the detail page (htmx); audited by the service."""
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    try:
        numbers = services.reveal(person, request.user)
    except PermissionDenied:
        return HttpResponse(_("您的角色不能查看完整号码"), status=403)
    return render(request, "people/numbers.html", {"person": person, "numbers": numbers, "revealed": True})


@login_required
def person_edit(request, pk=None):
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk) if pk else None
    if not request.user.has_perm("people.change_person" if pk else "people.add_person"):
        raise PermissionDenied
    extra = {} if pk else {"initial": {key: request.GET[key] for key in ("area", "household")
                                       if request.GET.get(key, "").isdigit()}}
    form = PersonForm(request.POST or None, user=request.user, instance=person, **extra)
    if request.method == "POST" and form.is_valid():
        person = form.save()
        messages.success(request, _("已保存 %(name)s") % {"name": person.name})
        return redirect(person)
    return render(request, "people/edit.html", {"form": form, "person": person})


@login_required
@permission_required("people.export_person", raise_exception=True)
def person_export(request):
    persons, filters = _filtered(request)
    content = export_persons(persons, request.user, filters)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f"attachment; filename=persons-{stamp}.xlsx"
    return response
