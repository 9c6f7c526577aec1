from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.models import AuditEvent
from fangkong.core import exports, imports
from fangkong.core.pages import paginate
from fangkong.territory.models import Area, AreaLevel, Household

from . import importer, sections, services
from .forms import LedgerImportForm, PersonForm
from .importer import LedgerImporter
from .models import HouseholdRole, Person, Rental, Residency, Sex, Tag


def _filtered(request):
    """The persons list with the request's search and filters applied, within the user's scope."""
    filters = {key: request.GET[key] for key in services.FILTERS if key != "ids" and request.GET.get(key)}
    return services.filter_persons(request.user, filters), filters


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_list(request):
    persons, filters = _filtered(request)
    context = paginate(request, persons.select_related("area", "household"))
    return render(request, "people/list.html", {
        **context, "filters": filters, "sexes": Sex.choices, "tags": Tag.objects.all(),
        "roles": HouseholdRole.choices, "residencies": Residency.choices,
        "areas": Area.objects.visible_to(request.user).exclude(level=AreaLevel.DISTRICT),
    })


@login_required
@permission_required("people.view_person", raise_exception=True)
def person_detail(request, pk):
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("area", "household__grid"), pk=pk)
    history = AuditEvent.objects.filter(object_type=Person._meta.label, object_id=str(person.pk))[:50]
    services.current_status(request.user, [person])
    user = request.user
    return render(request, "people/detail.html", {
        "person": person, "history": history, "declarations": services.declarations_of(person),
        "ancestors": person.area.ancestors() + [person.area],
        "may_reveal": user.may_see_full_numbers(), "person_numbers": services.display_numbers(person),
        "sections": sections.sections_for(user, person),
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
    """登记 / 编辑; with ?confirm=1 a visitor is confirmed into the ledger (确认为本辖区人员), audited as an edit."""
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk) if pk else None
    if not request.user.has_perm("people.change_person" if pk else "people.add_person"):
        raise PermissionDenied
    confirm = person is not None and person.is_visitor and request.GET.get("confirm") == "1"
    extra = {} if pk else {"initial": {key: request.GET[key] for key in ("area", "household")
                                       if request.GET.get(key, "").isdigit()}}
    if "household" in extra.get("initial", {}):
        # 添加家庭成员: the household's community comes with it.
        household = Household.objects.visible_to(request.user).filter(pk=extra["initial"]["household"]).first()
        if household is not None:
            extra["initial"]["area"] = household.area_id
    form = PersonForm(request.POST or None, user=request.user, instance=person, confirm=confirm, **extra)
    if request.method == "POST" and form.is_valid():
        person = form.save()
        done = _("已确认为本辖区人员：%(name)s") if confirm else _("已保存 %(name)s")
        messages.success(request, done % {"name": person.name})
        return redirect(person)
    return render(request, "people/edit.html", {"form": form, "person": person, "confirm": confirm})


@login_required
@permission_required("people.export_person", raise_exception=True)
@require_POST
def person_export(request):
    """Export the list as it is filtered, in the background; the job page shows progress and the file."""
    return redirect("export_job", exports.start("persons", request.user, request.POST).pk)


@imports.import_required("ledger")
def ledger_import(request):
    """Upload a household ledger (one row per person); the job page shows progress and row errors."""
    form = LedgerImportForm(request.POST or None, request.FILES or None, user=request.user)
    return imports.upload_page(
        request, "ledger", form, "people/import.html",
        {"columns": LedgerImporter.columns, "aliases": LedgerImporter.alias_hint()},
        start=lambda data: importer.start(data["file"], request.user, data["area"]))


@imports.import_required("ledger")
def ledger_import_template(request):
    return imports.template_response(LedgerImporter, _("台账导入模板.xlsx"))


@login_required
@permission_required("territory.view_household", raise_exception=True)
def household_detail(request, pk):
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("area", "grid", "unit__building__compound"), pk=pk)
    user = request.user
    rental = Rental.objects.visible_to(user).filter(household=household).first()
    return render(request, "people/household_detail.html", {
        "household": household, "persons": services.household_members(user, household), "rental": rental,
        "ancestors": household.area.ancestors() + [household.area]})
