from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from fangkong.core import imports
from fangkong.core.pages import paginate

from . import forms, services
from .importer import TerritoryImporter
from .models import LEVEL_ORDER, Area, AreaLevel, Compound, Grid, Household


def _root_areas(user):
    visible = Area.objects.visible_to(user)
    return [user.area] if user.area_id and not user.is_superuser else list(visible.filter(parent=None))


@login_required
@permission_required("territory.view_area", raise_exception=True)
def tree(request):
    areas = [area for root in _root_areas(request.user) for area in Area.objects.subtree(root)]
    counts = services.counts_by_area(request.user, areas)
    top = min((area.path.count("/") for area in areas), default=0)
    rows = [(area, area.path.count("/") - top, counts[area.pk]) for area in areas]
    return render(request, "territory/tree.html", {"rows": rows, "labels": services.counter_labels()})


@login_required
@permission_required("territory.view_area", raise_exception=True)
def area_detail(request, pk):
    area = get_object_or_404(Area.objects.visible_to(request.user), pk=pk)
    children = list(area.children.all())
    counts = services.counts_by_area(request.user, [area, *children])
    context = {
        "area": area, "ancestors": area.ancestors(), "counts": counts[area.pk], "labels": services.counter_labels(),
        "children": [(child, counts[child.pk]) for child in children],
        "child_level": LEVEL_ORDER[LEVEL_ORDER.index(area.level) + 1].label if area.level != AreaLevel.COMMUNITY
        else None,
    }
    if area.level == AreaLevel.COMMUNITY:
        context["grids"] = Grid.objects.visible_to(request.user).filter(area=area).select_related("leader", "parent")
        context["compounds"] = Compound.objects.visible_to(request.user).filter(area=area).annotate(
            building_count=Count("buildings"))
    return render(request, "territory/area_detail.html", context)


@login_required
def area_edit(request, pk=None):
    """Edit an area, or with ?parent=<id> create one below it (the level follows from the parent)."""
    if pk:
        area = get_object_or_404(Area.objects.visible_to(request.user), pk=pk)
        permission = "territory.change_area"
    else:
        parent = get_object_or_404(Area.objects.visible_to(request.user), pk=request.GET.get("parent"))
        if parent.level == AreaLevel.COMMUNITY:
            messages.error(request, _("社区/村下不能再建下级区域"))
            return redirect(parent)
        area = Area(parent=parent, level=LEVEL_ORDER[LEVEL_ORDER.index(parent.level) + 1])
        permission = "territory.add_area"
    if not request.user.has_perm(permission):
        return render(request, "403.html", status=403)
    form = forms.AreaForm(request.POST or None, instance=area)
    if request.method == "POST" and form.is_valid():
        services.save_record(form.save(commit=False), user=request.user)
        messages.success(request, _("已保存"))
        return redirect(area)
    return render(request, "territory/edit.html", {"form": form, "title": _("编辑区域") if pk else _("新建区域"),
                                                    "back": area if pk else area.parent})


EDITABLE = {
    "grid": (Grid, forms.GridForm, _("网格")),
    "compound": (Compound, forms.CompoundForm, _("小区/楼院")),
    "household": (Household, forms.HouseholdForm, _("户")),
}


@login_required
def record_edit(request, kind, pk=None):
    """Create or edit a grid, compound or household within the user's scope."""
    model, form_class, label = EDITABLE[kind]
    action = "change" if pk else "add"
    if not request.user.has_perm(f"territory.{action}_{model._meta.model_name}"):
        return render(request, "403.html", status=403)
    instance = get_object_or_404(model.objects.visible_to(request.user), pk=pk) if pk else None
    initial = {key: request.GET[key] for key in ("area", "grid", "unit") if request.GET.get(key, "").isdigit()}
    form = form_class(request.POST or None, instance=instance, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = services.save_record(form.save(commit=False), user=request.user)
        messages.success(request, _("已保存"))
        return redirect(saved.get_absolute_url() if hasattr(saved, "get_absolute_url") else saved.area)
    title = (_("编辑%(what)s") if pk else _("新建%(what)s")) % {"what": label}
    return render(request, "territory/edit.html", {"form": form, "title": title, "back": instance})


@login_required
@permission_required("territory.view_compound", raise_exception=True)
def compound_detail(request, pk):
    compound = get_object_or_404(Compound.objects.visible_to(request.user).select_related("area", "grid"), pk=pk)
    buildings = compound.buildings.prefetch_related("units").annotate(households=Count("units__households"))
    return render(request, "territory/compound_detail.html", {
        "compound": compound, "buildings": buildings, "ancestors": compound.area.ancestors()})


@login_required
@permission_required("territory.view_household", raise_exception=True)
def household_list(request):
    households = Household.objects.visible_to(request.user).select_related("area", "grid").annotate(
        person_count=Count("persons")).search(request.GET.get("q"))
    area_id, grid_id = request.GET.get("area", ""), request.GET.get("grid", "")
    if area_id.isdigit():
        households = households.filter(area_id=area_id)
    if grid_id.isdigit():
        households = households.filter(grid_id=grid_id)
    return render(request, "territory/household_list.html", {
        **paginate(request, households.order_by("area_id", "address")),
        "communities": Area.objects.visible_to(request.user).filter(level=AreaLevel.COMMUNITY),
        "q": request.GET.get("q", ""), "area_id": area_id,
    })


@login_required
@imports.import_required("territory")
def import_start(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.start_import("territory", form.cleaned_data["file"], request.user)
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect(job)
    return render(request, "territory/import.html", {"form": form, "columns": TerritoryImporter.columns})


@login_required
def import_template(request):
    return imports.template_response(TerritoryImporter, _("辖区导入模板.xlsx"))
