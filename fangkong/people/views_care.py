"""关爱对象 pages: the list (by group, "N 天未走访"), adding a person to a group, recording a visit on a phone."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.models import User
from fangkong.core.forms import add_service_errors
from fangkong.core.identity import DocumentType
from fangkong.core.pages import paginate

from . import care as services
from . import rentals
from .models import Care, CareGroup, Person, Visit
from .views_rentals import DATE_INPUT


class FindPersonForm(forms.Form):
    id_type = forms.ChoiceField(label=gettext_lazy("证件类型"), choices=DocumentType.choices,
                                initial=DocumentType.RESIDENT_ID)
    id_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=30,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "pattern": "[0-9A-Za-z-]*"}))


class CareForm(forms.Form):
    group = forms.ChoiceField(label=gettext_lazy("关爱类别"), choices=[("", "—")] + CareGroup.choices,
                              required=False)
    worker = forms.ModelChoiceField(label=gettext_lazy("责任人"), queryset=User.objects.none(),
                                    empty_label="—", required=False)
    note = forms.CharField(label=gettext_lazy("情况说明"), max_length=200, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, person, **kwargs):
        super().__init__(*args, **kwargs)
        workers = services.worker_choices(user, person)
        self.fields["worker"].queryset = User.objects.filter(pk__in=[w.pk for w in workers])
        self.fields["worker"].label_from_instance = lambda w: w.full_name or w.username
        if user in workers and not self.initial.get("worker"):
            self.initial["worker"] = user.pk


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=gettext_lazy("走访日期"), widget=DATE_INPUT, required=False)
    note = forms.CharField(label=gettext_lazy("走访情况"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 3,
                                                        "placeholder": gettext_lazy("身体、生活情况，需要的帮助")}))


@login_required
@permission_required("people.view_care", raise_exception=True)
def care_list(request):
    params = {key: request.GET[key] for key in ("group", "days") if request.GET.get(key)}
    days = services.overdue_days(params.get("days"))
    if "days" in params and days is None:
        messages.error(request, _("未走访天数应为0到3650之间的整数"))
        params.pop("days")
    cares = services.filter_cares(request.user, params).select_related("person__household", "worker")
    scoped = services.filter_cares(request.user, {"group": params.get("group")})
    overdue = services.filter_cares(request.user, {"group": params.get("group"),
                                                   "days": days if days is not None else services.DEFAULT_OVERDUE_DAYS})
    context = paginate(request, cares)
    for care in context["page_obj"]:
        care.days_since = services.days_since(care)
    return render(request, "people/care_list.html", {
        **context, "filters": params, "groups": CareGroup.choices,
        "days": days if days is not None else services.DEFAULT_OVERDUE_DAYS,
        "counts": {"total": scoped.count(), "overdue": overdue.count(),
                   "never": scoped.filter(last_visited_on__isnull=True).count()},
    })


@login_required
@permission_required("people.add_care", raise_exception=True)
def care_new(request):
    person_id = request.POST.get("person") or request.GET.get("person")
    person = None
    find_form = FindPersonForm(request.GET if "id_number" in request.GET else None)
    if person_id and str(person_id).isdigit():
        person = Person.objects.visible_to(request.user).select_related("household").filter(pk=person_id).first()
        if person is None:
            raise Http404
    elif find_form.is_bound and find_form.is_valid():
        try:
            person = rentals.find_person(request.user, find_form.cleaned_data["id_type"],
                                         find_form.cleaned_data["id_number"])
        except ValidationError as exc:
            add_service_errors(find_form, exc)
        else:
            if person is None:
                find_form.add_error("id_number", _("在您的管辖范围内未找到该证件号码的人员，请先登记人员"))
    if person is None:
        return render(request, "people/care_find.html", {"form": find_form})
    form = CareForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_care({**form.cleaned_data, "person": person}, user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已将 %(name)s 登记为关爱对象") % {"name": person.name})
            return redirect("care:list")
    existing = Care.objects.filter(person=person)
    return render(request, "people/care_form.html", {"form": form, "person": person, "existing": existing},
                  status=400 if form.errors else 200)


@login_required
@permission_required("people.add_visit", raise_exception=True)
def care_visit(request, pk):
    care = get_object_or_404(Care.objects.visible_to(request.user).select_related("person__household", "worker"),
                             pk=pk)
    person = care.person
    form = VisitForm(request.POST or None, initial={"visited_on": services.today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_visit(person, form.cleaned_data["visited_on"], form.cleaned_data["note"],
                                  user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已记录对 %(name)s 的走访") % {"name": person.name})
            return redirect(_next(request) or "care:list")
    visits = Visit.objects.filter(person=person).select_related("by")[:30]
    cares = Care.objects.filter(person=person).select_related("worker").order_by(models.F("group"))
    return render(request, "people/care_visit.html", {
        "care": care, "person": person, "form": form, "visits": visits, "cares": cares,
        "next": _next(request),
    }, status=400 if form.errors else 200)


def _next(request) -> str:
    """Back to the filtered care list the worker came from, never anywhere else."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target.startswith("/care/") and "\\" not in target else ""
