"""日报: a community's key-person figures for a day, submitted once and then frozen.

The figures are counted in one grouped query (conditional counts per category, and per community for
the district table), so a page costs the same with 50 key persons as with 50,000 (bench/keypersons.py).
A submitted day is read back from its DailyReport row: later follow-ups or screenings do not change it.
"""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core import cache as versions
from fangkong.core import exports
from fangkong.core.xlsx import Sheet
from fangkong.territory.models import Area, AreaLevel

from .models import ACTIVE_STATES, Category, DailyReport, FollowUp, FollowUpKind, ReportReminder, Screening, State
from .services import today

# The figures of one category, in the order the pages, the export and DailyReport.figures use.
KEYS = ["new", "active", "under_control", "released", "overdue"]


def figure_labels() -> dict:
    return {"new": _("新增"), "active": _("在管"), "under_control": _("管控中"), "released": _("解除"),
            "overdue": _("未跟进")}


def _zero() -> dict:
    return dict.fromkeys(KEYS, 0)


def _conditions(day: datetime.date) -> tuple[Q, dict]:
    """The rows that matter for `day` and one conditional count per figure.

    "Open at the end of the day" is reported on or before it and not closed by then (closed_on is the day a
    screening was closed). "Not followed up that day" is exact for today through last_follow_up_on (kept by
    the follow-up service, indexed); for an earlier day a later follow-up says nothing about that day, so
    those rows ask the follow-up table.
    """
    open_at_end = Q(reported_on__lte=day) & (Q(closed_on__isnull=True) | Q(closed_on__gt=day))
    not_followed = Q(last_follow_up_on__isnull=True) | Q(last_follow_up_on__lt=day)
    if day < today():
        # Only an earlier day needs the follow-up table (a per-row subplan that also makes the planner's
        # estimate, and so PostgreSQL's JIT, cost more than the count itself).
        followed_that_day = Exists(FollowUp.objects.filter(screening=OuterRef("pk"), on=day))
        not_followed |= Q(last_follow_up_on__gt=day) & ~followed_that_day
    relevant = Q(reported_on__lte=day) & (Q(closed_on__isnull=True) | Q(closed_on__gte=day))
    counts = {
        "new": Count("pk", filter=Q(reported_on=day)),
        "active": Count("pk", filter=open_at_end),
        "under_control": Count("pk", filter=open_at_end & Q(state=State.UNDER_CONTROL)),
        "released": Count("pk", filter=Q(state=State.RELEASED, closed_on=day)),
        # As services.overdue: categories without follow-ups (FollowUpKind.NONE) are never overdue.
        "overdue": Count("pk", filter=open_at_end & not_followed & ~Q(follow_up=FollowUpKind.NONE)),
    }
    return relevant, counts


def _all_categories() -> list[Category]:
    return list(Category.objects.order_by("position", "code"))


def _shown(categories: list[Category], codes_in_use) -> list[Category]:
    """Active categories, and inactive ones that still have figures to show, in their configured order."""
    return [c for c in categories if c.active or c.code in codes_in_use]


def _as_figures(per_category: dict, categories: list[Category], frozen_names=None) -> dict:
    """{"categories": [{"code", "name", <figures>}], "totals": {<figures>}}: the shape DailyReport stores."""
    rows, totals = [], _zero()
    known = set()
    for category in categories:
        known.add(category.code)
        counts = per_category.get(category.code, _zero())
        rows.append({"code": category.code, "name": category.name, **counts})
    for code, counts in per_category.items():  # a category deleted since: keep its figures
        if code not in known:
            rows.append({"code": code, "name": (frozen_names or {}).get(code, code), **counts})
    for row in rows:
        for key in KEYS:
            totals[key] += row[key]
    return {"categories": rows, "totals": totals}


def figures_of(screenings, day: datetime.date) -> dict:
    """Live figures of a screening queryset (already scoped) for `day`: one query for the counts."""
    relevant, counts = _conditions(day)
    # Grouped by the category's id, not its code: no join in the count; the few categories are read apart.
    grouped = screenings.filter(relevant).order_by().values("category_id").annotate(**counts)
    categories = _all_categories()
    code_of = {c.pk: c.code for c in categories}
    per_category = {code_of[row["category_id"]]: {key: row[key] for key in KEYS} for row in grouped}
    return _as_figures(per_category, _shown(categories, per_category))


def figures(area: Area, day: datetime.date) -> dict:
    """Live figures of `area` (a community, or everything below a higher area) for `day`."""
    return figures_of(Screening.objects.in_area(area), day)


def submitted_report(area: Area, day: datetime.date) -> DailyReport | None:
    return DailyReport.objects.filter(area=area, day=day).select_related("submitted_by").first()


def report_figures(area: Area, day: datetime.date) -> tuple[dict, DailyReport | None]:
    """The figures of a community's day: frozen if submitted, live otherwise."""
    report = submitted_report(area, day)
    return (report.figures, report) if report else (figures(area, day), None)


# Other apps add figures to a community's day and conditions to its submission (isolation: the persons under
# isolation, and its monitoring tasks of the day, which must be done first). They register here, so that the
# screening app imports none of them.
DAY_FIGURES = {}  # key in DailyReport.figures → func(area, day) -> dict
SUBMIT_BLOCKERS = []  # func(area, day) -> a message why the day cannot be submitted yet, or ""


def day_extras(area: Area, day: datetime.date) -> dict:
    return {key: func(area, day) for key, func in DAY_FIGURES.items()}


def submit_blockers(area: Area, day: datetime.date) -> list[str]:
    return [message for message in (func(area, day) for func in SUBMIT_BLOCKERS) if message]


def submit(area: Area, day: datetime.date, user) -> DailyReport:
    """A community worker confirms that every open key person of the community was followed up on `day`.

    Refused (and nothing stored) while anyone is not followed up, and a second time for the same day.
    """
    if not user.has_perm("screening.submit_dailyreport"):
        raise PermissionDenied
    if not Area.objects.visible_to(user).filter(pk=area.pk).exists() or user.grid_id:
        raise PermissionDenied
    if area.level != AreaLevel.COMMUNITY:
        raise ValidationError({"area": _("日报按社区/村上报")})
    if day > today():
        raise ValidationError({"day": _("不能上报以后日期的日报")})
    frozen = _("今日日报已上报，已冻结") if day == today() else _("%(day)s 的日报已上报，已冻结") % {
        "day": day.isoformat()}
    try:
        with transaction.atomic():
            # One submit at a time per community: the second waits here, then sees the first one's row.
            Area.objects.select_for_update().filter(pk=area.pk).first()
            if DailyReport.objects.filter(area=area, day=day).exists():
                raise ValidationError({"day": frozen})
            counted = figures(area, day)
            missing = counted["totals"]["overdue"]
            if missing:
                raise ValidationError({"overdue": _(
                    "还有 %(n)d 名重点人员未跟进，全部跟进后才能上报日报") % {"n": missing}})
            blocked = submit_blockers(area, day)
            if blocked:
                raise ValidationError({"blocked": blocked})
            counted.update(day_extras(area, day))
            report = DailyReport.objects.create(area=area, day=day, figures=counted, submitted_by=user)
            audit.record(AuditAction.CREATE, report, actor=user,
                         changes={"day": day.isoformat(), "totals": counted["totals"]})
    except IntegrityError:
        raise ValidationError({"day": frozen}) from None
    return report


@dataclass
class CommunityRow:
    area: Area
    report: DailyReport | None
    by_category: dict  # code → figures
    totals: dict

    @property
    def submitted(self) -> bool:
        return self.report is not None


@dataclass
class DistrictTable:
    day: datetime.date
    categories: list  # [(code, name)]
    rows: list = field(default_factory=list)
    totals: dict = field(default_factory=_zero)
    category_totals: dict = field(default_factory=dict)  # code → figures over all rows

    @property
    def submitted_count(self) -> int:
        return sum(1 for row in self.rows if row.submitted)


def communities_in_scope(user, area: Area | None = None):
    communities = Area.objects.visible_to(user).filter(level=AreaLevel.COMMUNITY)
    if area is not None:
        communities = communities.subtree(area)
    return communities.order_by("path")


# The district table for the same scope, area and day is computed once until a key-person record changes
# (signals bump the version, see apps.py), and at most every TABLE_CACHE_SECONDS: many officers watch it.
TABLE_VERSION_KEY = "screening:reports-version"
TABLE_CACHE_SECONDS = 60


def reports_changed(**kwargs):
    versions.changed(TABLE_VERSION_KEY)


def district_table(area: Area | None, day: datetime.date, user) -> DistrictTable:
    scope = f"{user.pk if user.is_superuser else '-'}:{user.area_id}:{user.grid_id}:{area.pk if area else '-'}"
    key = f"screening:district-table:{versions.version(TABLE_VERSION_KEY)}:{scope}:{day.isoformat()}"
    table = cache.get(key)
    if table is None:
        table = _district_table(area, day, user)
        cache.set(key, table, TABLE_CACHE_SECONDS)
    return table


def _district_table(area: Area | None, day: datetime.date, user) -> DistrictTable:
    """One row per community in the viewer's scope (under `area` if given): frozen figures where the day
    was submitted, live ones (未上报) elsewhere. Three queries whatever the number of communities."""
    communities = list(communities_in_scope(user, area))
    ids = [c.pk for c in communities]
    reports = {r.area_id: r for r in DailyReport.objects.filter(area_id__in=ids, day=day)}
    live_ids = [pk for pk in ids if pk not in reports]
    relevant, counts = _conditions(day)
    live = {}
    if live_ids:
        screenings = Screening.objects.visible_to(user).filter(area_id__in=live_ids).filter(relevant)
        for row in screenings.order_by().values("area_id", "category_id").annotate(**counts):
            live.setdefault(row["area_id"], {})[row["category_id"]] = {key: row[key] for key in KEYS}
    all_categories = _all_categories()
    code_of = {c.pk: c.code for c in all_categories}
    live = {area_id: {code_of[pk]: figures for pk, figures in per_area.items()} for area_id, per_area in live.items()}
    frozen_names = {}
    codes = set()
    for per_area in live.values():
        codes.update(per_area)
    for report in reports.values():
        for row in report.figures.get("categories", []):
            codes.add(row["code"])
            frozen_names.setdefault(row["code"], row.get("name", row["code"]))
    categories = _shown(all_categories, codes)
    ordered = [(c.code, c.name) for c in categories]
    ordered += sorted((code, frozen_names.get(code, code)) for code in codes - {c for c, _n in ordered})
    table = DistrictTable(day=day, categories=ordered,
                          category_totals={code: _zero() for code, _name in ordered})
    for community in communities:
        report = reports.get(community.pk)
        if report is not None:
            by_category = {row["code"]: {key: row.get(key, 0) for key in KEYS}
                           for row in report.figures.get("categories", [])}
        else:
            by_category = live.get(community.pk, {})
        by_category = {code: by_category.get(code, _zero()) for code, _name in ordered}
        totals = _zero()
        for code, counts in by_category.items():
            for key in KEYS:
                totals[key] += counts[key]
                table.category_totals[code][key] += counts[key]
                table.totals[key] += counts[key]
        table.rows.append(CommunityRow(area=community, report=report, by_category=by_category, totals=totals))
    return table


def parse_day(value: str | None) -> datetime.date:
    """?day=YYYY-MM-DD, today by default; a malformed or future day is refused in Chinese."""
    if not value:
        return today()
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"day": _("日期格式应为 2022-03-06")}) from None
    if day > today():
        raise ValidationError({"day": _("不能查看以后日期的日报")})
    return day


def export_params(user, data) -> dict:
    """The day (?day=, today by default; refused when malformed or to come) and the area (?area=, kept only when
    the user may see it) of the district table's export."""
    day = parse_day(data.get("day"))
    area = data.get("area")
    area = Area.objects.visible_to(user).filter(pk=area).values_list("pk", flat=True).first() \
        if str(area or "").isdigit() else None
    return {"day": day.isoformat(), "area": area}


@exports.register("daily_reports", title=gettext_lazy("重点人员日报"), permission="screening.export_dailyreport",
                  model=DailyReport, params=export_params, footer=False,
                  describe=lambda user, params: params["day"], logged=lambda params: {"day": params["day"]},
                  file_name=lambda job: _("重点人员日报-%(day)s.xlsx") % {"day": job.params["day"]})
def export_sheets(user, params) -> exports.Rows:
    """The day's table as district offices file it: 汇总 first, then one sheet per category, one row per
    community and a 合计 row at the bottom."""
    area = Area.objects.visible_to(user).filter(pk=params["area"]).first() if params.get("area") else None
    table = district_table(area, datetime.date.fromisoformat(params["day"]), user)
    labels = figure_labels()
    columns = [(_("社区"), 18), *[(labels[key], 10) for key in KEYS], (_("是否上报"), 10)]
    submitted = f"{table.submitted_count}/{len(table.rows)}"

    def sheet(title, heading, per_row, totals):
        rows = [(row.area.name, *[per_row(row)[key] for key in KEYS], _("已上报") if row.submitted else _("未上报"))
                for row in table.rows]
        return Sheet(title, columns, rows, heading=heading, totals=(_("合计"), *[totals[key] for key in KEYS],
                                                                    submitted), freeze_columns=1, filter=False)

    day = table.day.isoformat()
    sheets = [sheet(_("汇总"), _("重点人员日报 %(day)s 汇总") % {"day": day}, lambda row: row.totals, table.totals)]
    sheets += [sheet(name, f"{name} {day}", lambda row, code=code: row.by_category[code],
                     table.category_totals[code]) for code, name in table.categories]
    return exports.Rows(len(table.rows), sheets=sheets)


def open_screenings(user):
    """The open key persons the user follows up, those not followed up today first."""
    return (Screening.objects.visible_to(user).filter(state__in=ACTIVE_STATES)
            .select_related("person", "category", "grid", "area")
            .order_by(F("last_follow_up_on").asc(nulls_first=True), "-id"))


# 催报 -----------------------------------------------------------------------------------------------------

MISSING_SHOWN = 5


def remind(area: Area, user, day: datetime.date | None = None) -> tuple[ReportReminder, bool]:
    """催报: record that `user` reminded a community of today's missing 日报; (reminder, created).

    Idempotent per community and day: a second press returns the first reminder and changes nothing.
    """
    day = day or today()
    if not user.has_perm("screening.add_reportreminder"):
        raise PermissionDenied
    if not Area.objects.visible_to(user).filter(pk=area.pk).exists():
        raise PermissionDenied
    if area.level != AreaLevel.COMMUNITY:
        raise ValidationError({"area": _("催报按社区/村进行")})
    if day != today():
        raise ValidationError({"day": _("只能催报今日日报")})
    if DailyReport.objects.filter(area=area, day=day).exists():
        raise ValidationError({"area": _("%(area)s今日日报已上报，无需催报") % {"area": area.name}})
    with transaction.atomic():
        reminder, created = ReportReminder.objects.get_or_create(area=area, day=day, defaults={"sent_by": user})
        if created:
            audit.record(AuditAction.CREATE, reminder, actor=user, changes={"day": day.isoformat(), "area": area.name})
    return reminder, created


def reminders_on(day: datetime.date, area_ids) -> dict:
    """{community id: its reminder of `day`} for the communities asked about (the district table)."""
    return {r.area_id: r for r in ReportReminder.objects.filter(day=day, area_id__in=list(area_ids))}


def _reminded_at(day):
    return Subquery(ReportReminder.objects.filter(area=OuterRef("pk"), day=day).values("sent_at")[:1])


def missing_today(user, limit: int = MISSING_SHOWN) -> tuple[int, list[Area]]:
    """The communities in the user's scope that have not submitted today's 日报: how many, and the first
    `limit` of them (those not yet reminded first), each with `reminded_at` (the time of today's 催报, or None).
    Two queries."""
    day = today()
    missing = (communities_in_scope(user).filter(~Exists(DailyReport.objects.filter(area=OuterRef("pk"), day=day)))
               .annotate(reminded_at=_reminded_at(day)))
    return missing.count(), list(missing.order_by(F("reminded_at").asc(nulls_first=True), "path")[:limit])


def own_report_today(area: Area) -> tuple[bool, datetime.datetime | None]:
    """(submitted, time of today's 催报 or None) of a community's 日报 today, in one query."""
    day = today()
    row = (Area.objects.filter(pk=area.pk)
           .annotate(submitted=Exists(DailyReport.objects.filter(area=OuterRef("pk"), day=day)),
                     reminded_at=_reminded_at(day))
           .values("submitted", "reminded_at").first())
    return (row["submitted"], row["reminded_at"]) if row else (False, None)
