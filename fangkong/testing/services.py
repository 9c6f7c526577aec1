"""Testing use cases: campaigns, sites and teams, tubes and samples, exemptions, lab results, coverage.

Pages, API, imports, the demo and the benchmark all call these functions. Each write is atomic; bad
input raises ValidationError with a Chinese message and changes nothing.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import ExtractHour
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core.db import text_array
from fangkong.core.identity import DocumentType, mask_name, normalize_resident_id, person_for_pass_code
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel

from .models import (
    Campaign,
    CampaignState,
    Duty,
    Exemption,
    Pooling,
    RetestState,
    RetestTask,
    Round,
    Sample,
    Site,
    TeamMember,
    Tube,
    TubeResult,
    Zone,
    pool_size_of,
)

BARCODE = re.compile(r"[A-Za-z0-9-]{4,40}")
MAX_ROUNDS = 31
MAX_API_RESULTS = 20_000  # per API call; larger batches go through the file import (a background job)

# Sent with `person_ids` after lab results are saved: the health code (an app above this one) recomputes them.
results_recorded = Signal()


def today():
    return timezone.localdate()


# Campaigns, sites, teams -------------------------------------------------------------------------------

@transaction.atomic
def create_campaign(*, name, area, starts_on, ends_on, user, pooling=Pooling.TEN, round_days=None) -> Campaign:
    """A campaign over `area`; one round a day from start to end unless `round_days` says which days."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("请填写任务名称")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期")
    if pooling not in Pooling.values:
        errors["pooling"] = _("混采方式无效")
    if area is None:
        errors["area"] = _("请选择检测范围")
    days = sorted(set(round_days or []))
    if not days and starts_on and ends_on and ends_on >= starts_on:
        days = [starts_on + datetime.timedelta(days=n) for n in range((ends_on - starts_on).days + 1)]
    if len(days) > MAX_ROUNDS:
        errors["ends_on"] = _("一次任务最多%(n)d轮，请缩短日期范围") % {"n": MAX_ROUNDS}
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(name=name, area=area, starts_on=starts_on, ends_on=ends_on, pooling=pooling,
                                       created_by=user)
    Round.objects.bulk_create([Round(campaign=campaign, number=n, day=day) for n, day in enumerate(days, start=1)])
    audit.record_change(campaign, user)
    return campaign


@transaction.atomic
def close_campaign(campaign, user):
    campaign.state = CampaignState.CLOSED
    campaign.save(update_fields=["state"])
    audit.record_change(campaign, user)
    return campaign


@transaction.atomic
def set_zone_pooling(campaign, area, pooling, user) -> Zone:
    """Pooling for part of the campaign's area (e.g. single tubes in a sealed community)."""
    if pooling not in Pooling.values:
        raise ValidationError({"pooling": _("混采方式无效")})
    if not area.is_within(campaign.area):
        raise ValidationError({"area": _("该区域不在本次检测范围内")})
    zone, _created = Zone.objects.update_or_create(campaign=campaign, area=area, defaults={"pooling": pooling})
    audit.record_change(campaign, user, action=AuditAction.UPDATE, changes={"zone": area.name, "pooling": pooling})
    return zone


def pooling_for(campaign, area) -> str:
    """The pooling of the most specific zone containing `area`, else the campaign's default."""
    best = None
    for zone in campaign.zones.select_related("area"):
        if area.is_within(zone.area) and (best is None or len(zone.area.path) > len(best.area.path)):
            best = zone
    return best.pooling if best else campaign.pooling


@transaction.atomic
def create_site(campaign, *, name, area, user, address="", opens=datetime.time(7), closes=datetime.time(20)) -> Site:
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("请填写采样点名称")
    elif Site.objects.filter(campaign=campaign, name=name).exists():
        errors["name"] = _("本次任务已有名为“%(name)s”的采样点") % {"name": name}
    if area is None or not area.is_within(campaign.area):
        errors["area"] = _("采样点应在本次检测范围内")
    if opens and closes and closes <= opens:
        errors["closes"] = _("结束时间应晚于开始时间")
    if errors:
        raise ValidationError(errors)
    site = Site.objects.create(campaign=campaign, name=name, area=area, address=address, opens=opens, closes=closes)
    audit.record_change(site, user)
    return site


@transaction.atomic
def add_team_member(site, member, duty, user) -> TeamMember:
    if duty not in Duty.values:
        raise ValidationError({"duty": _("岗位无效")})
    if member is None:
        raise ValidationError({"user": _("没有这个账号")})
    team_member, created = TeamMember.objects.update_or_create(site=site, user=member, defaults={"duty": duty})
    audit.record_change(site, user, action=AuditAction.CREATE if created else AuditAction.UPDATE,
                        changes={"team_member": member.username, "duty": duty})
    return team_member


@transaction.atomic
def exempt(campaign, person, reason, user) -> Exemption:
    """免检 with a reason; the person must live in the campaign's area."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写免检原因")})
    if not person.area.is_within(campaign.area):
        raise ValidationError({"person": _("该人员不在本次检测范围内，无需免检")})
    if Exemption.objects.filter(campaign=campaign, person=person).exists():
        raise ValidationError({"person": _("该人员已登记免检")})
    exemption = Exemption.objects.create(campaign=campaign, person=person, reason=reason[:200], by=user)
    audit.record_change(exemption, user)
    return exemption


# Tubes and samples ------------------------------------------------------------------------------------

def current_round(campaign, day=None):
    """Today's round, or the latest one before today while the campaign runs; None before the first."""
    day = day or today()
    return campaign.rounds.filter(day__lte=day).order_by("-day", "-number").first()


def normalize_barcode(raw) -> str:
    barcode = re.sub(r"\s+", "", str(raw or "")).upper()
    if not BARCODE.fullmatch(barcode):
        raise ValidationError({"barcode": _("试管条码应为4到40位字母、数字或“-”")})
    return barcode


@transaction.atomic
def register_tube(site, barcode, user, *, retest=False) -> Tube:
    """Open a tube at `site` by its barcode: a pool for the current round, or a single retest tube."""
    barcode = normalize_barcode(barcode)
    campaign = site.campaign
    if not campaign.is_active:
        raise ValidationError({"barcode": _("本次检测任务已结束")})
    if not site.active:
        raise ValidationError({"barcode": _("该采样点已关闭")})
    if Tube.objects.filter(barcode=barcode).exists():
        raise ValidationError({"barcode": _("试管条码已使用：%(barcode)s，请换一支试管") % {"barcode": barcode}})
    round_ = None
    if retest:
        pooling = Pooling.SINGLE
    else:
        round_ = current_round(campaign)
        if round_ is None:
            first = campaign.rounds.order_by("number").first()
            raise ValidationError({"barcode": _("本次检测尚未开始（第1轮：%(day)s）") % {
                "day": f"{first.day.month}月{first.day.day}日" if first else "—"}})
        pooling = pooling_for(campaign, site.area)
    return Tube.objects.create(barcode=barcode, campaign=campaign, round=round_, site=site, pooling=pooling,
                               pool_size=pool_size_of(pooling), opened_by=user)


def find_person(text):
    """The person for a scanned personal pass code or a typed identity number; ValidationError otherwise."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"person": _("请扫描通行码或输入身份证号码")})
    candidate = re.sub(r"\s+", "", text).upper()
    if re.fullmatch(r"\d{15}|\d{17}[\dX]", candidate):
        number = normalize_resident_id(candidate)  # raises a clear checksum / date error
        person = Person.objects.with_document(DocumentType.RESIDENT_ID, number).select_related("area").first()
        if person is None:
            raise ValidationError({"person": _("人员台账中没有该身份证号码，请先登记人员信息")})
        return person
    try:
        person = person_for_pass_code(text)
    except ValidationError as exc:  # expired, forged, revoked: the pass code's own words
        raise ValidationError({"person": exc.messages}) from None
    if person is None:
        raise ValidationError({"person": _("通行码无效或已过期，请让对方刷新通行码，或输入身份证号码")})
    return person


@transaction.atomic
def add_to_tube(tube, person, user) -> Sample:
    """Put `person` (a Person, a pass code or an identity number) into `tube`.

    Refused: a sealed or full tube, a person already sampled in this round (the tube is named), a retest
    tube for someone without an open retest task, a second household in a household tube, a pooled tube
    for someone whose zone is tested in single tubes. Persons outside the campaign's area (visitors,
    commuters) are sampled too: turning them away would leave them untested; the sample notes it.
    """
    if not isinstance(person, Person):
        person = find_person(person)
    tube = Tube.objects.select_for_update(of=("self",)).select_related("campaign", "round", "site").get(pk=tube.pk)
    if tube.is_sealed or tube.result != TubeResult.PENDING:
        raise ValidationError({"person": _("该试管已封管，请扫描新试管")})
    if tube.size >= tube.pool_size:
        raise ValidationError({"person": _("该试管已满（%(n)d/%(size)d）") % {"n": tube.size, "size": tube.pool_size}})
    campaign = tube.campaign
    if tube.round_id is None:
        task = RetestTask.objects.open().filter(person=person, campaign=campaign).first()
        if task is None:
            raise ValidationError({"person": _("%(name)s 没有待复检任务，请用混采试管采样") % {
                "name": mask_name(person.name)}})
    else:
        earlier = Sample.objects.filter(round_id=tube.round_id, person=person).select_related("tube").first()
        if earlier is not None:
            raise ValidationError({"person": _("%(name)s 本轮已采样（试管 %(barcode)s），不能重复采样") % {
                "name": mask_name(person.name), "barcode": earlier.tube.barcode}})
        if tube.pool_size > 1 and pooling_for(campaign, person.area) == Pooling.SINGLE:
            raise ValidationError({"person": _("%(name)s 所在区域要求单管单采，请用单采试管") % {
                "name": mask_name(person.name)}})
    if tube.pooling == Pooling.HOUSEHOLD and tube.size:
        other = tube.samples.exclude(person__household_id=person.household_id).exists()
        if other or person.household_id is None:
            raise ValidationError({"person": _("一户一管：%(name)s 不是本户人员") % {"name": mask_name(person.name)}})
    note = "" if person.area.is_within(campaign.area) else _("非本次检测范围人员")
    sample = Sample.objects.create(tube=tube, person=person, campaign=campaign, round=tube.round, site=tube.site,
                                   sampled_by=user, note=note)
    Tube.objects.filter(pk=tube.pk).update(size=F("size") + 1)
    tube.size += 1
    sample.tube = tube
    return sample


@transaction.atomic
def seal_tube(tube, user) -> Tube:
    tube = Tube.objects.select_for_update().get(pk=tube.pk)
    if tube.is_sealed:
        return tube
    if tube.size == 0:
        raise ValidationError({"barcode": _("空试管不能封管")})
    tube.sealed_at = timezone.now()
    tube.save(update_fields=["sealed_at"])
    # Tubes are not Audited rows (a district fills 100,000 a day); sealing one is worth its row.
    audit.record_change(tube, user, action=AuditAction.UPDATE, changes={
        "sealed_at": tube.sealed_at.isoformat(), "size": tube.size})
    return tube


def open_tube(site, user):
    """The tube this user is filling at this site, if any (the site page resumes it)."""
    return (Tube.objects.filter(site=site, opened_by=user, sealed_at__isnull=True, result=TubeResult.PENDING)
            .order_by("-opened_at").first())


# Results ------------------------------------------------------------------------------------------------

RESULT_WORDS = {"阴性": TubeResult.NEGATIVE, "阴": TubeResult.NEGATIVE, "negative": TubeResult.NEGATIVE,
                "neg": TubeResult.NEGATIVE, "-": TubeResult.NEGATIVE,
                "阳性": TubeResult.POSITIVE, "阳": TubeResult.POSITIVE, "positive": TubeResult.POSITIVE,
                "pos": TubeResult.POSITIVE, "+": TubeResult.POSITIVE}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M")
RESULT_COLUMNS = {"barcode": gettext_lazy("试管条码"), "result": gettext_lazy("检测结果"),
                  "at": gettext_lazy("检测时间"), "lab": gettext_lazy("检测机构")}


@dataclass
class ResultRow:
    number: int  # the row's number in the file (or position in the API's list)
    barcode: str
    result: str
    at: datetime.datetime
    lab: str


def parse_result_row(number, barcode, result, at, lab, errors, labels=RESULT_COLUMNS):
    """One lab result from text cells (or an API item); appends (row, column, message) to `errors`."""
    before = len(errors)
    try:
        barcode = normalize_barcode(barcode)
    except ValidationError as exc:
        errors.append((number, labels["barcode"], exc.messages[0]))
    word = str(result or "").strip().lower()
    value = RESULT_WORDS.get(word)
    if value is None:
        errors.append((number, labels["result"], _("检测结果应为“阴性”或“阳性”") if word else _("请填写检测结果")))
    when = parse_time(at)
    if when is None:
        errors.append((number, labels["at"], _("检测时间格式不对，请写成 2022-03-06 14:30") if at not in (None, "")
                       else _("请填写检测时间")))
    elif when > timezone.now() + datetime.timedelta(minutes=10):
        errors.append((number, labels["at"], _("检测时间不能晚于现在")))
    lab = str(lab or "").strip()
    if len(lab) > 100:
        errors.append((number, labels["lab"], _("检测机构名称不能超过100个字")))
    if len(errors) > before:
        return None
    return ResultRow(number, barcode, value, when, lab)


def parse_time(value):
    if isinstance(value, datetime.datetime):
        when = value
    else:
        text = re.sub(r"\s+", " ", str(value or "")).strip()
        if not text:
            return None
        when = None
        for fmt in TIME_FORMATS:
            try:
                when = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if when is None:
            try:
                when = datetime.datetime.fromisoformat(text)
            except ValueError:
                return None
    return when if timezone.is_aware(when) else timezone.make_aware(when)


@dataclass
class ResultPlan:
    """What a set of valid result rows will change: tubes to set, and rows that change nothing."""

    updates: dict = field(default_factory=dict)  # tube id → (result, at, lab, pool size)
    unchanged: int = 0


class ResultErrors(ValidationError):
    """Row errors of a result upload: [(row, column, message)]. Nothing was saved."""

    def __init__(self, rows):
        self.rows = [(number, str(column), str(message)) for number, column, message in rows]
        super().__init__([_("第 %(row)d 行 %(column)s：%(message)s") % {
            "row": number, "column": column, "message": message} for number, column, message in self.rows])


def check_results(rows: list[ResultRow], user, labels=RESULT_COLUMNS):
    """(plan, errors) for valid parsed rows: unknown tubes (or out of the user's scope) and results that
    contradict a tube's earlier result are errors; a repeated result is no change. Two queries."""
    errors, plan = [], ResultPlan()
    barcodes = list({row.barcode for row in rows})
    tubes = {}
    visible = (Tube.objects.visible_to(user).filter(barcode__in=text_array(barcodes)) if barcodes
               else Tube.objects.none())
    for pk, barcode, result, size, pool_size in visible.values_list("pk", "barcode", "result", "size", "pool_size"):
        tubes[barcode] = (pk, result, size, pool_size)
    seen = {}
    for row in rows:
        found = tubes.get(row.barcode)
        if found is None:
            errors.append((row.number, labels["barcode"], _("没有条码为 %(barcode)s 的试管（或不属于您的检测任务）") % {
                "barcode": row.barcode}))
            continue
        pk, result, size, pool_size = found
        label = TubeResult(row.result).label
        if row.barcode in seen and seen[row.barcode] != row.result:
            errors.append((row.number, labels["result"], _("与本文件前面同一试管的结果不一致"), ))
            continue
        seen[row.barcode] = row.result
        if result != TubeResult.PENDING:
            if result == row.result:
                plan.unchanged += 1
            else:
                errors.append((row.number, labels["result"], _("该试管已有结果“%(old)s”，与本行“%(new)s”不一致") % {
                    "old": TubeResult(result).label, "new": label}))
            continue
        if size == 0:
            errors.append((row.number, labels["barcode"],
                           _("试管 %(barcode)s 没有采样记录") % {"barcode": row.barcode}))
            continue
        if pk in plan.updates:
            plan.unchanged += 1
            continue
        plan.updates[pk] = (row.result, row.at, row.lab, pool_size)
    return plan, errors


def save_results(plan: ResultPlan, user, reference="") -> dict:
    """Write the plan in bulk: set the tubes, open retest tasks for positive pools' members, resolve the
    tasks that single-tube retests answer, then recompute the health code of everyone affected.

    A fixed number of statements whatever the number of tubes (unnest arrays), so that 100,000 tubes of
    1,000,000 people fit in a minute (bench/testing.py). Call inside a transaction.
    """
    if not plan.updates:
        return {"tubes": 0, "negative": 0, "positive_pools": 0, "positive_singles": 0, "persons": 0,
                "retests_opened": 0, "retests_resolved": 0, "unchanged": plan.unchanged}
    ids, results, times, labs = [], [], [], []
    for pk, (result, at, lab, _size) in plan.updates.items():
        ids.append(pk)
        results.append(result)
        times.append(at)
        labs.append(lab)
    positive_pools = [pk for pk, (result, _at, _lab, size) in plan.updates.items()
                      if result == TubeResult.POSITIVE and size > 1]
    singles = [pk for pk, (_result, _at, _lab, size) in plan.updates.items() if size == 1]
    now = timezone.now()
    opened, resolved, person_ids = _save_results_in_bulk(
        reference, ids, results, times, labs, positive_pools, singles, now)
    results_recorded.send(sender=TubeResult, person_ids=person_ids)  # the health code recomputes their colours
    summary = {
        "tubes": len(ids), "negative": results.count(TubeResult.NEGATIVE), "positive_pools": len(positive_pools),
        "positive_singles": sum(1 for pk in singles if plan.updates[pk][0] == TubeResult.POSITIVE),
        "persons": len(person_ids), "retests_opened": opened, "retests_resolved": resolved,
        "unchanged": plan.unchanged,
    }
    audit.record(AuditAction.UPDATE, actor=user, object_type="testing.Tube",
                 object_repr=_("检测结果 %(n)d 管") % {"n": len(ids)}, changes={"reference": reference, **summary})
    return summary


def _save_results_in_bulk(reference, ids, results, times, labs, positive_pools, singles, now):
    """A fixed number of statements whatever the number of tubes (unnest arrays)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE testing_tube t SET result = v.result, result_at = v.at, lab = v.lab, result_ref = %s, "
            "sealed_at = COALESCE(t.sealed_at, v.at) "
            "FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::text[]) AS v(id, result, at, lab) "
            "WHERE t.id = v.id AND t.result = 'pending'",
            [reference[:60], ids, results, times, labs])
        opened = 0
        if positive_pools:
            cursor.execute(
                "INSERT INTO testing_retesttask (person_id, campaign_id, from_tube_id, site_id, state, created_at) "
                "SELECT s.person_id, t.campaign_id, t.id, t.site_id, %s, %s FROM testing_sample s "
                "JOIN testing_tube t ON t.id = s.tube_id WHERE t.id = ANY(%s::bigint[]) "
                "ON CONFLICT (from_tube_id, person_id) DO NOTHING",
                [RetestState.OPEN, now, positive_pools])
            opened = cursor.rowcount
        resolved = 0
        if singles:
            # A single tube taken after the positive pool answers the person's retest, whatever its result.
            cursor.execute(
                "UPDATE testing_retesttask r SET state = %s, resolved_at = t.result_at, resolving_sample_id = s.id "
                "FROM testing_sample s JOIN testing_tube t ON t.id = s.tube_id, testing_tube f "
                "WHERE t.id = ANY(%s::bigint[]) AND r.person_id = s.person_id AND r.state = %s "
                "AND f.id = r.from_tube_id AND f.id <> t.id AND s.sampled_at >= f.opened_at",
                [RetestState.DONE, singles, RetestState.OPEN])
            resolved = cursor.rowcount
        cursor.execute("SELECT DISTINCT person_id FROM testing_sample WHERE tube_id = ANY(%s::bigint[])", [ids])
        person_ids = [row[0] for row in cursor.fetchall()]
    return opened, resolved, person_ids


def apply_results(rows, *, lab="", user, reference="") -> dict:
    """All or nothing: items {barcode, result, at, lab} (or ResultRow) → summary, or ResultErrors."""
    errors, parsed = [], []
    for number, item in enumerate(rows, start=1):
        if isinstance(item, ResultRow):
            parsed.append(item)
            continue
        if not isinstance(item, dict):
            errors.append((number, "", _("每一项应为一个对象：barcode, result, at, lab")))
            continue
        row = parse_result_row(number, item.get("barcode"), item.get("result"), item.get("at"),
                               item.get("lab") or lab, errors)
        if row is not None:
            parsed.append(row)
    if not rows:
        errors.append((0, "", _("没有检测结果")))
    plan, more = check_results(parsed, user)
    errors += more
    if errors:
        raise ResultErrors(sorted(errors, key=lambda e: e[0]))
    with transaction.atomic():
        return save_results(plan, user, reference)


# Coverage (应检尽检) ------------------------------------------------------------------------------------

@dataclass
class CoverageRow:
    key: object
    label: str
    residents: int = 0
    exempt: int = 0
    tested: int = 0
    url_area: int | None = None

    @property
    def should(self):
        return self.residents - self.exempt

    @property
    def not_tested(self):
        return self.should - self.tested

    @property
    def percent(self):
        return round(100 * self.tested / self.should, 1) if self.should else 100.0


def residents(campaign, user, area=None):
    """Residents of the campaign's area that `user` may see (a grid worker: their grid), within `area`."""
    persons = Person.objects.visible_to(user).in_ledger().in_area(campaign.area)
    return persons.in_area(area) if area is not None else persons


def _annotated(campaign, round_, persons):
    return persons.annotate(
        is_tested=Exists(Sample.objects.filter(round=round_, person=OuterRef("pk"))),
        is_exempt=Exists(Exemption.objects.filter(campaign=campaign, person=OuterRef("pk"))))


def coverage(campaign, round_, user, area=None):
    """(total, rows) of a round: should be tested, tested, not tested, exempt — for `area` (default: the
    campaign's area) and each part of it one level down: subdistricts, communities, then buildings."""
    area = area or campaign.area
    persons = _annotated(campaign, round_, residents(campaign, user, area))
    counts = dict(residents=Count("pk"), exempt=Count("pk", filter=Q(is_exempt=True)),
                  tested=Count("pk", filter=Q(is_tested=True, is_exempt=False)))
    rows = {}
    if area.level == AreaLevel.COMMUNITY:
        grouped = persons.values("household__unit__building", "household__unit__building__name",
                                 "household__unit__building__compound__name").annotate(**counts).order_by()
        for g in grouped:
            key = g["household__unit__building"]
            label = (f"{g['household__unit__building__compound__name']}{g['household__unit__building__name']}"
                     if key else _("未编楼栋的住户"))
            rows[key] = CoverageRow(key, label, g["residents"], g["exempt"], g["tested"])
        ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.label))
    else:
        children = list(Area.objects.filter(parent=area).order_by("name"))
        paths = dict(Area.objects.filter(path__startswith=area.path).values_list("pk", "path"))
        for child in children:
            rows[child.pk] = CoverageRow(child.pk, child.name, url_area=child.pk)
        for g in persons.values("area_id").annotate(**counts).order_by():
            path = paths.get(g["area_id"], "")
            child = next((c for c in children if path.startswith(c.path)), None)
            if child is None:
                continue
            row = rows[child.pk]
            row.residents += g["residents"]
            row.exempt += g["exempt"]
            row.tested += g["tested"]
        ordered = list(rows.values())
    total = CoverageRow(area.pk, area.name, sum(r.residents for r in ordered), sum(r.exempt for r in ordered),
                        sum(r.tested for r in ordered))
    return total, ordered


def not_tested(campaign, round_, user, area=None):
    """The residents who should have been tested in the round and were not, by household (for chasing)."""
    persons = _annotated(campaign, round_, residents(campaign, user, area))
    return (persons.filter(is_tested=False, is_exempt=False)
            .select_related("area", "household").order_by("area_id", "household__address", "pk"))


# A sampler swabs about one person every 30 s; the queue estimate below uses it.
SWABS_PER_HOUR = 120


def hourly(campaign, round_, user):
    """Scans per hour of the day for the round, per site the user may see, with a queue estimate.

    The queue at a site is estimated from its load: with λ scans in the hour and capacity μ (samplers ×
    SWABS_PER_HOUR), a single queue (M/M/1 at the site's pace) holds about ρ²/(1−ρ) people waiting, ρ = λ/μ
    capped at 0.95. It is an estimate for planning staff, not a count.
    """
    sites = Site.objects.visible_to(user).filter(campaign=campaign).annotate(
        samplers=Count("team", filter=Q(team__duty=Duty.SAMPLER))).order_by("name")
    sites = {site.pk: site for site in sites}
    rows = (Sample.objects.filter(round=round_, site_id__in=list(sites))
            .annotate(hour=ExtractHour("sampled_at", tzinfo=timezone.get_current_timezone()))
            .values_list("site_id", "hour").annotate(n=Count("pk")).order_by())
    by_site = defaultdict(lambda: [0] * 24)
    for site_id, hour, n in rows:
        by_site[site_id][hour] = n
    series = []
    for pk, site in sites.items():
        counts = by_site[pk]
        capacity = max(1, site.samplers) * SWABS_PER_HOUR
        queue = []
        for n in counts:
            rho = min(n / capacity, 0.95)
            queue.append(round(rho * rho / (1 - rho)) if n else 0)
        series.append({"site": site.name, "counts": counts, "queue": queue, "total": sum(counts)})
    totals = [sum(s["counts"][h] for s in series) for h in range(24)]
    return {"hours": [f"{h:02d}:00" for h in range(24)], "sites": series, "totals": totals}


# Home page ----------------------------------------------------------------------------------------------

RETEST_SITES_SHOWN = 3


def todos(user) -> list:
    """待办 of testing: the sites with members of positive pools still to retest, most waiting first (one query)."""
    from django.urls import reverse

    from fangkong.core.todo import Todo

    if not user.has_perm("testing.view_retesttask"):
        return []
    waiting = (RetestTask.objects.filter(state=RetestState.OPEN, site__in=Site.objects.visible_to(user).values("pk"))
               .values("site_id", "site__name").annotate(n=Count("pk")).order_by("-n", "site_id"))
    return [Todo("retests_open", _("%(site)s：%(n)d 人待单管复检") % {"site": row["site__name"], "n": row["n"]},
                 reverse("testing:retests", args=[row["site_id"]]), row["n"])
            for row in waiting[:RETEST_SITES_SHOWN]]
