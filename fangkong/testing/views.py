"""Testing pages: campaigns (officers), the sampling site page (phone), retests, coverage, result import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.accounts.models import User
from fangkong.core import imports
from fangkong.core.forms import add_service_errors
from fangkong.core.identity import DocumentType, normalize_resident_id
from fangkong.core.pages import paginate
from fangkong.people.models import Person
from fangkong.territory.models import Area

from . import services
from .forms import CampaignForm, ExemptionForm, ResultImportForm, SiteForm, TeamForm, ZoneForm
from .importer import LabResultImporter
from .models import Campaign, RetestTask, Sample, Site, Tube, TubeResult


def _campaign(request, pk):
    return get_object_or_404(Campaign.objects.visible_to(request.user).select_related("area"), pk=pk)


def _site(request, pk):
    return get_object_or_404(Site.objects.visible_to(request.user).select_related("campaign", "area"), pk=pk)


# Campaigns ---------------------------------------------------------------------------------------------

@login_required
@permission_required("testing.view_campaign", raise_exception=True)
def campaign_list(request):
    campaigns = (Campaign.objects.visible_to(request.user).select_related("area")
                 .annotate(site_count=Count("sites", distinct=True)).order_by("-starts_on", "-id"))
    return render(request, "testing/campaigns.html", {**paginate(request, campaigns)})


@login_required
@permission_required("testing.add_campaign", raise_exception=True)
def campaign_new(request):
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已创建检测任务“%(name)s”") % {"name": campaign.name})
            return redirect(campaign)
    return render(request, "testing/campaign_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@permission_required("testing.view_campaign", raise_exception=True)
def campaign_detail(request, pk, forms=None, status=200):
    campaign = _campaign(request, pk)
    sites = (Site.objects.visible_to(request.user).filter(campaign=campaign).select_related("area")
             .prefetch_related("team__user").annotate(
                 tube_count=Count("tubes", distinct=True),
                 open_retests=Count("retest_tasks", filter=Q(retest_tasks__state="open"), distinct=True)))
    forms = forms or {}
    round_ = services.current_round(campaign)
    results = dict(campaign.tubes.values_list("result").annotate(n=Count("pk")).order_by())
    return render(request, "testing/campaign.html", {
        "campaign": campaign, "rounds": campaign.rounds.all(), "round": round_, "sites": sites,
        "zones": campaign.zones.select_related("area"), "results": results, "TubeResult": TubeResult,
        "site_form": forms.get("site") or SiteForm(campaign=campaign),
        "team_form": forms.get("team") or TeamForm(sites=sites),
        "zone_form": forms.get("zone") or ZoneForm(campaign=campaign),
        "exemption_form": forms.get("exemption") or ExemptionForm(),
        "exemptions": campaign.exemptions.select_related("person").order_by("-id")[:20],
    }, status=status)


@login_required
@permission_required("testing.add_site", raise_exception=True)
@require_POST
def site_new(request, pk):
    campaign = _campaign(request, pk)
    form = SiteForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            site = services.create_site(campaign, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已添加采样点“%(name)s”") % {"name": site.name})
            return redirect(campaign)
    return campaign_detail(request, pk, {"site": form}, status=400)


@login_required
@permission_required("testing.change_site", raise_exception=True)
@require_POST
def team_add(request, pk):
    campaign = _campaign(request, pk)
    form = TeamForm(request.POST, sites=Site.objects.visible_to(request.user).filter(campaign=campaign))
    if form.is_valid():
        site = form.cleaned_data["site"]
        member = User.objects.filter(username=form.cleaned_data["username"], is_active=True).first()
        try:
            services.add_team_member(site, member, form.cleaned_data["duty"], request.user)
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"user": "username"})
        else:
            messages.success(request, _("已将 %(user)s 加入“%(site)s”采样队") % {"user": member, "site": site.name})
            return redirect(campaign)
    return campaign_detail(request, pk, {"team": form}, status=400)


@login_required
@permission_required("testing.change_campaign", raise_exception=True)
@require_POST
def zone_set(request, pk):
    campaign = _campaign(request, pk)
    form = ZoneForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            services.set_zone_pooling(campaign, form.cleaned_data["area"], form.cleaned_data["pooling"], request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已设置分区混采方式"))
            return redirect(campaign)
    return campaign_detail(request, pk, {"zone": form}, status=400)


@login_required
@permission_required("testing.add_exemption", raise_exception=True)
@require_POST
def exemption_add(request, pk):
    campaign = _campaign(request, pk)
    form = ExemptionForm(request.POST)
    if form.is_valid():
        try:
            number = normalize_resident_id(form.cleaned_data["id_number"])
            person = Person.objects.visible_to(request.user).with_document(DocumentType.RESIDENT_ID, number).first()
            if person is None:
                raise ValidationError({"id_number": _("没有这个人员，或不在您的管辖范围内")})
            services.exempt(campaign, person, form.cleaned_data["reason"], request.user)
        except ValidationError as exc:
            add_service_errors(form, exc, unnamed="id_number")
        else:
            messages.success(request, _("已登记 %(name)s 免检") % {"name": person.name_masked})
            return redirect(campaign)
    return campaign_detail(request, pk, {"exemption": form}, status=400)


# The sampling site (phone) -------------------------------------------------------------------------------

@login_required
@permission_required("testing.add_sample", raise_exception=True)
def site_page(request, pk, error=None, typed="", status=200):
    site = _site(request, pk)
    tube = services.open_tube(site, request.user)
    samples = list(tube.samples.select_related("person").order_by("sampled_at", "pk")) if tube else []
    day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = Sample.objects.filter(site=site, sampled_at__gte=day_start).aggregate(
        persons=Count("pk"), tubes=Count("tube", distinct=True))
    return render(request, "testing/site.html", {
        "site": site, "campaign": site.campaign, "round": services.current_round(site.campaign), "tube": tube,
        "samples": samples, "error": error, "typed": typed, "today": today,
        "open_retests": RetestTask.objects.open().filter(site=site).count(),
        "last": request.session.pop("testing_last", None),
    }, status=status)


def _error_text(exc):
    return " ".join(exc.messages)


@login_required
@permission_required("testing.add_tube", raise_exception=True)
@require_POST
def tube_new(request, pk):
    site = _site(request, pk)
    try:
        services.register_tube(site, request.POST.get("barcode", ""), request.user,
                               retest=bool(request.POST.get("retest")))
    except ValidationError as exc:
        return site_page(request, pk, error=_error_text(exc), typed=request.POST.get("barcode", "")[:40], status=400)
    return redirect("testing:site", site.pk)


def _site_tube(request, pk, tube_pk):
    site = _site(request, pk)
    tube = get_object_or_404(Tube.objects.filter(site=site), pk=tube_pk)
    return site, tube


@login_required
@permission_required("testing.add_sample", raise_exception=True)
@require_POST
def tube_add(request, pk, tube_pk):
    site, tube = _site_tube(request, pk, tube_pk)
    typed = request.POST.get("person", "")
    try:
        sample = services.add_to_tube(tube, typed, request.user)
    except ValidationError as exc:
        return site_page(request, pk, error=_error_text(exc), typed=typed[:60], status=400)
    request.session["testing_last"] = {"name": sample.person.name_masked, "note": sample.note,
                                       "n": sample.tube.size, "size": sample.tube.pool_size}
    return redirect("testing:site", site.pk)


@login_required
@permission_required("testing.change_tube", raise_exception=True)
@require_POST
def tube_seal(request, pk, tube_pk):
    site, tube = _site_tube(request, pk, tube_pk)
    try:
        tube = services.seal_tube(tube, request.user)
    except ValidationError as exc:
        return site_page(request, pk, error=_error_text(exc), status=400)
    messages.success(request, _("试管 %(barcode)s 已封管（%(n)d人）") % {"barcode": tube.barcode, "n": tube.size})
    return redirect("testing:site", site.pk)


@login_required
@permission_required("testing.view_retesttask", raise_exception=True)
def site_retests(request, pk):
    site = _site(request, pk)
    state = request.GET.get("state", "open")
    tasks = RetestTask.objects.filter(site=site).select_related("person__household", "from_tube").order_by(
        "created_at", "pk")
    if state in ("open", "done"):
        tasks = tasks.filter(state=state)
    return render(request, "testing/retests.html", {"site": site, "state": state, **paginate(request, tasks)})


# Coverage ---------------------------------------------------------------------------------------------

@login_required
@permission_required("testing.view_coverage", raise_exception=True)
def coverage(request, pk):
    campaign = _campaign(request, pk)
    rounds = list(campaign.rounds.all())
    round_ = next((r for r in rounds if str(r.pk) == request.GET.get("round")), None) \
        or services.current_round(campaign) or (rounds[0] if rounds else None)
    if round_ is None:
        raise Http404
    # A community worker starts at (and cannot leave) their community; officers above the campaign at its area.
    user_area = request.user.area
    top = user_area if (user_area is not None and not request.user.is_superuser
                        and user_area.is_within(campaign.area)) else campaign.area
    area = top
    if request.GET.get("area"):
        chosen = Area.objects.filter(pk=request.GET["area"]).first() if request.GET["area"].isdigit() else None
        if chosen is None or not chosen.is_within(top):
            raise Http404
        area = chosen
    total, rows = services.coverage(campaign, round_, request.user, area)
    missing = services.not_tested(campaign, round_, request.user, area)
    return render(request, "testing/coverage.html", {
        "campaign": campaign, "rounds": rounds, "round": round_, "area": area, "total": total, "rows": rows,
        "chart": services.hourly(campaign, round_, request.user),
        "up": area.parent if area.pk != top.pk else None,
        **paginate(request, missing),
    })


# Results ----------------------------------------------------------------------------------------------

@imports.import_required("lab_results")
def results_import(request):
    form = ResultImportForm(request.POST or None, request.FILES or None)
    return imports.upload_page(request, "lab_results", form, "testing/results_import.html",
                               {"columns": LabResultImporter.columns})


@imports.import_required("lab_results")
def results_template(request):
    return imports.template_response(LabResultImporter, _("检测结果导入模板.xlsx"))
