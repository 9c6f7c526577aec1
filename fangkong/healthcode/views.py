"""Health-code pages: the overview, a person's code, override requests and approvals, the override report, rules,
policies."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core import exports as core_exports
from fangkong.core.pages import paginate
from fangkong.core.search import private_query
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel

from . import exports, facts, services
from .forms import CodeFilterForm, DecisionForm, OverrideForm, PolicyForm, RuleForm
from .models import Colour, Override, OverrideState, PlacePolicy, Rule


def _person(request, pk):
    return get_object_or_404(Person.objects.visible_to(request.user).select_related("area", "household"), pk=pk)


# The overview --------------------------------------------------------------------------------------------

@login_required
@permission_required("healthcode.view_healthstatus", raise_exception=True)
def codes(request):
    """健康码总览: red, yellow and green codes per community of the viewer's scope, and who has a red or yellow
    code and why, to act on (retests, follow-ups, overrides)."""
    by_area = services.colour_counts(request.user)
    communities = list(Area.objects.filter(pk__in=by_area).order_by("path"))
    form = CodeFilterForm(request.GET or None, communities=[a for a in communities if a.level == AreaLevel.COMMUNITY])
    listed = services.coloured(request.user, **(form.cleaned_data if form.is_valid() else {}))
    return render(request, "healthcode/codes.html", {
        **paginate(request, listed.select_related("person__area")), "form": form,
        "rows": [(area, by_area[area.pk]) for area in communities],
        "totals": {colour: sum(counts[colour] for counts in by_area.values()) for colour in Colour.values}})


# A person's health code -----------------------------------------------------------------------------

@login_required
# A person's card and colour: for those who may look people up (not an inspector reading the overview).
@permission_required(["healthcode.view_healthstatus", "people.view_person"], raise_exception=True)
def person(request, person_pk):
    person = _person(request, person_pk)
    status = services.status_for(person)
    now = timezone.now()
    overrides = (Override.objects.visible_to(request.user).filter(person=person)
                 .select_related("requested_by", "decided_by"))
    return render(request, "healthcode/person.html", {
        "person": person, "status": status, "colour": services.effective_colour(status, now),
        "reasons": services.effective_reasons(status, now), "overrides": overrides,
        "may_request": request.user.has_perm("healthcode.add_override"),
    })


# Overrides --------------------------------------------------------------------------------------------

@login_required
@permission_required("healthcode.add_override", raise_exception=True)
def override_new(request):
    person_id = request.GET.get("person") or request.POST.get("person") or ""
    if not person_id.isdigit():
        query = request.GET.get("q", "").strip()
        persons = (Person.objects.visible_to(request.user).search(query).select_related("area")[:20]
                   if query else [])
        return render(request, "healthcode/pick_person.html", {"persons": persons, "q": query})
    person = _person(request, person_id)
    form = OverrideForm(request.POST or None, person=person, user=request.user)
    if request.method == "POST" and form.is_valid():
        override = form.save()
        if override is not None:
            messages.success(request, _("已提交人工赋码申请，需另一位审批人审批后生效"))
            return redirect("healthcode:person", person.pk)
    status = services.status_for(person)
    return render(request, "healthcode/override_new.html", {"form": form, "person": person, "status": status},
                  status=400 if request.method == "POST" else 200)


def _overrides(user):
    return (Override.objects.visible_to(user)
            .select_related("person__area", "requested_by", "decided_by")
            .annotate(pending_first=Case(When(state=OverrideState.PENDING, then=Value(0)), default=Value(1),
                                         output_field=IntegerField()))
            .order_by("pending_first", "-requested_at", "-id"))


@login_required
@permission_required("healthcode.view_override", raise_exception=True)
def overrides(request):
    """The approvals queue: pending first, each with approve / reject and a required note."""
    queryset = _overrides(request.user)
    if request.GET.get("state") != "all":
        queryset = queryset.filter(state=OverrideState.PENDING)
    may_approve = services.may_approve(request.user)
    approver_roles, approvers = services.approvers_for(request.user)
    return render(request, "healthcode/overrides.html", {
        **paginate(request, queryset), "may_approve": may_approve,
        "approver_roles": approver_roles, "approvers": approvers,
        "show_all": request.GET.get("state") == "all",
        "pending": Override.objects.visible_to(request.user).filter(state=OverrideState.PENDING).count(),
    })


@login_required
@permission_required("healthcode.approve_override", raise_exception=True)
@require_POST
def override_decide(request, pk):
    override = get_object_or_404(Override.objects.visible_to(request.user).select_related("person"), pk=pk)
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    if not form.is_valid():
        messages.error(request, _("请填写审批意见"))
        return redirect("healthcode:overrides")
    try:
        (services.approve if approve else services.reject)(override, request.user, form.cleaned_data["decision_note"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        done = _("已批准：%(name)s 改为%(colour)s") if approve else _("已驳回：%(name)s 的申请")
        messages.success(request, done % {"name": override.person.name_masked,
                                          "colour": services.colour_label(override.colour)})
    return redirect("healthcode:overrides")


@login_required
@permission_required("healthcode.view_override", raise_exception=True)
def override_report(request):
    """Every override by who and why, with filters and an audited Excel export."""
    form, queryset, _filters = exports.report(request.user, request.GET)
    query = private_query(request.GET)
    query.pop("page", None)
    return render(request, "healthcode/override_report.html", {
        **paginate(request, queryset), "form": form, "query": query.urlencode(),
        "may_export": request.user.has_perm("people.export_person"),
    })


@login_required
@permission_required("healthcode.view_override", raise_exception=True)
@permission_required("people.export_person", raise_exception=True)
def override_report_export(request):
    """The report as filtered, exported in the background (a link, so GET starts it as POST does)."""
    return redirect("export_job", core_exports.start("overrides", request.user, request.GET).pk)


# Rules ------------------------------------------------------------------------------------------------

@login_required
@permission_required("healthcode.view_rule", raise_exception=True)
def rules(request):
    may_edit = request.user.has_perm("healthcode.change_rule")
    errors = {}
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        rule = get_object_or_404(Rule, pk=request.POST.get("rule"))
        form = RuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_rule(rule, user=request.user, colour=data["colour"], days=data["days"],
                                   active=data["active"])
            except ValidationError as exc:
                errors[rule.pk] = exc.messages
            else:
                messages.success(request, _("已保存规则“%(rule)s”，正在后台重新计算相关人员的健康码") % {
                    "rule": rule.description})
                return redirect("healthcode:rules")
        else:
            errors[rule.pk] = [e for field_errors in form.errors.values() for e in field_errors]
    rules = list(Rule.objects.all())
    labels = facts.fact_labels([rule.fact for rule in rules])
    rows = [(rule, labels[rule.fact], errors.get(rule.pk)) for rule in rules]
    return render(request, "healthcode/rules.html", {"rows": rows, "may_edit": may_edit,
                                                     "colours": Rule._meta.get_field("colour").choices},
                  status=400 if errors else 200)


# Place policies ----------------------------------------------------------------------------------------

@login_required
@permission_required("healthcode.view_placepolicy", raise_exception=True)
def policies(request):
    queryset = (PlacePolicy.objects.visible_to(request.user).select_related("area", "place", "created_by")
                .order_by("-starts_on", "-id"))
    today = timezone.localdate()
    if request.GET.get("when") != "all":
        queryset = queryset.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    return render(request, "healthcode/policies.html", {
        **paginate(request, queryset), "today": today, "show_all": request.GET.get("when") == "all"})


@login_required
def policy_edit(request, pk=None):
    policy = get_object_or_404(PlacePolicy.objects.visible_to(request.user), pk=pk) if pk else None
    if not request.user.has_perm("healthcode.change_placepolicy" if pk else "healthcode.add_placepolicy"):
        return render(request, "403.html", status=403)
    initial = {"starts_on": timezone.localdate(), "area": request.user.area_id}
    form = PolicyForm(request.POST or None, instance=policy, user=request.user, initial=None if pk else initial)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, _("已保存场所通行政策“%(name)s”，卡点立即按新政策核验") % {
            "name": form.cleaned_data["name"]})
        return redirect("healthcode:policies")
    return render(request, "healthcode/policy_edit.html", {"form": form, "policy": policy},
                  status=400 if request.method == "POST" else 200)
