"""Key-person pages: categories, the key-person list, a screening's page, state changes, follow-ups, imports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core import imports
from fangkong.core.forms import add_service_errors
from fangkong.core.pages import paginate
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel

from . import services
from .forms import AssistanceImportForm, CategoryForm, FollowUpForm, ScreeningForm, StateForm
from .importer import AssistanceImporter
from .models import Category, Screening, Source, State

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible(request, pk, *related):
    return get_object_or_404(Screening.objects.visible_to(request.user).select_related(*related), pk=pk)


def _safe_next(request, fallback):
    """Where to go back to after a form: `next` when it points into this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


# Categories ---------------------------------------------------------------------------------------

@login_required
@permission_required("screening.view_category", raise_exception=True)
def category_list(request):
    counts = services.open_counts(request.user)
    categories = [(category, counts.get(category.pk, 0)) for category in Category.objects.all()]
    return render(request, "screening/categories.html", {"categories": categories})


@login_required
def category_edit(request, pk=None):
    category = get_object_or_404(Category, pk=pk) if pk else None
    if not request.user.has_perm("screening.change_category" if pk else "screening.add_category"):
        return render(request, "403.html", status=403)
    form = CategoryForm(request.POST or None, instance=category, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, _("已保存类别“%(name)s”") % {"name": form.instance.name})
        return redirect("screening:categories")
    return render(request, "screening/category_edit.html", {"form": form, "category": category})


@login_required
@permission_required("screening.delete_category", raise_exception=True)
@require_POST
def category_delete(request, pk):
    category = get_object_or_404(Category, pk=pk)
    name = category.name
    try:
        services.delete_category(category, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已删除类别“%(name)s”") % {"name": name})
    return redirect("screening:categories")


# Key persons ---------------------------------------------------------------------------------------

@login_required
@permission_required("screening.view_screening", raise_exception=True)
def screening_list(request):
    filters = {key: request.GET[key] for key in services.FILTERS if request.GET.get(key)}
    day = services.today()
    screenings = services.filter_screenings(request.user, filters).select_related(
        "person", "category", "area", "grid", "worker").annotate(
        overdue_today=ExpressionWrapper(services.overdue_q(day), output_field=BooleanField())).order_by("-id")
    return render(request, "screening/list.html", {
        **paginate(request, screenings), "filters": filters, "today": day,
        "categories": Category.objects.all(), "states": State.choices, "sources": Source.choices,
        "areas": Area.objects.visible_to(request.user).filter(level=AreaLevel.COMMUNITY),
    })


@login_required
@permission_required("screening.add_screening", raise_exception=True)
def screening_new(request):
    """Put a person (?person=<id>) in a key-person category; without one, find the person first."""
    person_id = request.GET.get("person") or request.POST.get("person") or ""
    if not person_id.isdigit():
        query = request.GET.get("q", "").strip()
        persons = (Person.objects.visible_to(request.user).search(query).select_related("area")[:20]
                   if query else [])
        return render(request, "screening/pick_person.html", {"persons": persons, "q": query})
    person = get_object_or_404(Person.objects.visible_to(request.user).select_related("area", "household__grid"),
                               pk=person_id)
    form = ScreeningForm(request.POST or None, person=person, user=request.user)
    if request.method == "POST" and form.is_valid():
        screening = form.save()
        if screening is not None:
            messages.success(request, _("已将 %(name)s 登记为%(category)s") % {
                "name": person.name, "category": screening.category.name})
            return redirect("screening:detail", screening.pk)
    open_screenings = Screening.objects.visible_to(request.user).active().filter(person=person).select_related(
        "category")
    return render(request, "screening/new.html", {"form": form, "person": person, "open": open_screenings})


@login_required
@permission_required("screening.view_screening", raise_exception=True)
def screening_detail(request, pk, state_form=None):
    screening = _visible(request, pk, "person__household", "category", "area", "grid", "worker", "created_by")
    history = screening.state_changes.select_related("by")
    follow_ups = screening.follow_ups.select_related("by")[:60]
    followed_today = screening.last_follow_up_on == services.today()
    return render(request, "screening/detail.html", {
        "s": screening, "person": screening.person, "history": history, "follow_ups": follow_ups,
        "next_states": [(state, State(state).label) for state in screening.next_states()],
        "state_form": state_form or StateForm(), "followed_today": followed_today,
    })


@login_required
@permission_required("screening.change_screening_state", raise_exception=True)
@require_POST
def screening_state(request, pk):
    screening = _visible(request, pk, "person", "category")
    form = StateForm(request.POST)
    form.is_valid()
    try:
        services.change_state(screening, request.POST.get("to_state", ""), form.cleaned_data.get("reason", ""),
                              user=request.user)
    except ValidationError as exc:
        add_service_errors(form, exc, rename={"to_state": None})  # a hidden field: its error goes on top
        return screening_detail(request, pk, state_form=form)
    messages.success(request, _("状态已变更为“%(state)s”") % {"state": screening.get_state_display()})
    return redirect("screening:detail", screening.pk)


@login_required
@permission_required("screening.add_followup", raise_exception=True)
def follow_up(request, pk):
    """Today's follow-up, on a phone: temperature, symptoms, a note; then back to where the user came from."""
    screening = _visible(request, pk, "person", "category", "area")
    back = _safe_next(request, reverse("screening:detail", args=[screening.pk]))
    form = FollowUpForm(request.POST or None, screening=screening, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, _("已记录 %(name)s 的跟进") % {"name": screening.person.name})
        return redirect(back)
    last = screening.follow_ups.select_related("by").first()
    return render(request, "screening/follow_up.html", {
        "form": form, "s": screening, "person": screening.person, "next": back, "last": last,
        # Once a day: said before the form is filled in, not on saving it.
        "done_today": last is not None and last.on == services.today() and request.method == "GET",
    })


# Assistance lists -----------------------------------------------------------------------------------

@imports.import_required("assistance")
def assistance_import(request):
    form = AssistanceImportForm(request.POST or None, request.FILES or None)
    return imports.upload_page(request, "assistance", form, "screening/assistance_import.html",
                               {"columns": AssistanceImporter.columns})


@imports.import_required("assistance")
def assistance_template(request):
    return imports.template_response(AssistanceImporter, _("协查名单导入模板.xlsx"))
