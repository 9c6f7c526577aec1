"""Screening use cases. Pages, API, imports and the demo all go through these functions."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.people.models import Person
from fangkong.territory.models import Area

from .models import (
    ACTIVE_STATES,
    Category,
    FollowUp,
    FollowUpKind,
    GateEffect,
    Screening,
    Source,
    State,
    StateChange,
)

MIN_TEMPERATURE, MAX_TEMPERATURE = Decimal("34.0"), Decimal("43.0")
CLOSED_STATES = [State.RELEASED, State.NOT_FOUND, State.LEFT]


def today() -> datetime.date:
    return timezone.localdate()


@transaction.atomic
def open_screening(person: Person, category: Category, *, user, source=Source.GRID_VISIT, reported_on=None,
                   origin="", worker=None, plan="") -> Screening:
    """Put a person in a key-person category; refused if they already have an open screening in it."""
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("该人员不在您的管辖范围内")})
    if not category.active:
        raise ValidationError({"category": _("该类别已停用")})
    if source not in Source.values:
        raise ValidationError({"source": _("请选择排查来源")})
    if worker is not None and worker != user and not responsible_workers(person).filter(pk=worker.pk).exists():
        raise ValidationError({"worker": _("该责任人不负责这名人员所在的社区或网格")})
    reported_on = reported_on or today()
    if reported_on > today():
        raise ValidationError({"reported_on": _("排查日期不能晚于今天")})
    if Screening.objects.active().filter(person=person, category=category).exists():
        raise ValidationError({"category": _("%(name)s 已在“%(category)s”类别中管控，请勿重复登记") % {
            "name": person.name_masked, "category": category.name}})
    screening = Screening(
        person=person, category=category, area_id=person.area_id,
        grid_id=person.household.grid_id if person.household_id else None,
        source=source, origin=origin[:100], reported_on=reported_on, worker=worker or user, plan=plan[:500],
        follow_up=category.follow_up, control_until=reported_on + datetime.timedelta(days=category.follow_up_days),
        created_by=user)
    screening.save()
    audit.record_change(screening, user)
    return screening


@transaction.atomic
def bulk_open_screenings(persons, category: Category, *, user, source=Source.GRID_VISIT, origin="",
                         plan="") -> list[Screening]:
    """open_screening for many persons at once (tracing's bulk action): the same rules, all or nothing; persons
    already open in the category are skipped, not refused. One insert and one bulk of audit rows; each new
    screening is announced like a saved one (post_save), so the health code recomputes once on commit."""
    from django.db.models.signals import post_save

    from fangkong.audit.models import AuditEvent

    persons = list(persons)
    ids = [person.pk for person in persons]
    if not category.active:
        raise ValidationError({"category": _("该类别已停用")})
    if source not in Source.values:
        raise ValidationError({"source": _("请选择排查来源")})
    visible = set(Person.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    outside = [person for person in persons if person.pk not in visible]
    if outside:
        raise ValidationError({"person": [_("%(name)s 不在您的管辖范围内") % {"name": person.name_masked}
                                          for person in outside]})
    already = set(Screening.objects.active().filter(person_id__in=ids, category=category)
                  .values_list("person_id", flat=True))
    day = today()
    screenings, seen = [], set(already)
    for person in persons:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        screenings.append(Screening(
            person=person, category=category, area_id=person.area_id,
            grid_id=person.household.grid_id if person.household_id else None, source=source, origin=origin[:100],
            reported_on=day, worker=user, plan=plan[:500], follow_up=category.follow_up,
            control_until=day + datetime.timedelta(days=category.follow_up_days), created_by=user))
    Screening.objects.bulk_create(screenings, batch_size=2000)
    AuditEvent.objects.bulk_create([AuditEvent(
        actor=user, actor_name=user.username, action=AuditAction.CREATE, object_type="screening.Screening",
        object_id=str(screening.pk), object_repr=str(screening)[:200],
        changes={"person": screening.person_id, "category": category.pk, "source": source,
                 "reported_on": day.isoformat()}) for screening in screenings], batch_size=2000)
    for screening in screenings:
        post_save.send(sender=Screening, instance=screening, created=True, raw=False, using="default",
                       update_fields=None)
    return screenings


@transaction.atomic
def change_state(screening: Screening, to_state: str, reason: str, *, user) -> Screening:
    """Move a screening to its next state; the reason is required and kept with the change."""
    reason = (reason or "").strip()
    errors = {}
    if to_state not in screening.next_states():
        errors["state"] = _("不能从“%(from)s”变更为“%(to)s”") % {
            "from": screening.get_state_display(), "to": dict(State.choices).get(to_state, to_state)}
    if not reason:
        errors["reason"] = _("请填写状态变更原因")
    elif len(reason) > 300:
        errors["reason"] = _("原因不能超过300个字")
    if errors:
        raise ValidationError(errors)
    StateChange.objects.create(screening=screening, from_state=screening.state, to_state=to_state,
                               reason=reason, by=user)
    screening.state, screening.state_reason = to_state, reason
    screening.state_changed_at = timezone.now()
    screening.closed_on = today() if to_state in CLOSED_STATES else None
    screening.save()
    audit.record_change(screening, user)
    return screening


@transaction.atomic
def record_follow_up(screening: Screening, *, user, on=None, temperature=None, has_symptoms=False,
                     note="") -> FollowUp:
    """Today's follow-up of an open screening: at most one per day."""
    on = on or today()
    errors = {}
    if screening.state not in ACTIVE_STATES:
        errors["screening"] = _("该排查已结案，不能再记录跟进")
    if on > today():
        errors["on"] = _("跟进日期不能晚于今天")
    if temperature not in (None, ""):
        try:
            temperature = Decimal(str(temperature)).quantize(Decimal("0.1"))
            if not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
                raise InvalidOperation
        except InvalidOperation:
            errors["temperature"] = _("体温应在 34.0 到 43.0 ℃ 之间")
    else:
        temperature = None
    if FollowUp.objects.filter(screening=screening, on=on).exists():
        errors["on"] = _("%(day)s 已记录过跟进") % {"day": on.isoformat()}
    if errors:
        raise ValidationError(errors)
    follow_up = FollowUp.objects.create(screening=screening, on=on, temperature=temperature,
                                        has_symptoms=bool(has_symptoms), note=(note or "")[:500], by=user)
    audit.record(AuditAction.CREATE, follow_up, actor=user, changes={
        "on": on.isoformat(), "temperature": str(temperature) if temperature is not None else None,
        "has_symptoms": bool(has_symptoms)})
    if screening.last_follow_up_on is None or on > screening.last_follow_up_on:
        Screening.objects.filter(pk=screening.pk).update(last_follow_up_on=on)
        screening.last_follow_up_on = on
    return follow_up


def delete_category(category: Category, *, user):
    """Delete an unused category; one that screenings refer to is refused (deactivate it instead)."""
    try:
        with transaction.atomic():
            audit.record_change(category, user, action=AuditAction.DELETE)
            category.delete()
    except ProtectedError:
        raise ValidationError(_("“%(name)s”已有 %(n)d 条排查记录，不能删除，可以停用") % {
            "name": category.name, "n": category.screenings.count()}) from None


# Categories -----------------------------------------------------------------------------------------

CATEGORY_FIELDS = ["code", "name", "description", "gate_effect", "follow_up", "follow_up_days", "nat_every_days",
                   "active", "position"]


def check_category(category: Category, *, exclude=(), **fields) -> Category:
    """`category` with `fields` applied, or ValidationError with every problem by field.

    `exclude` names fields the caller has already found wrong (a form), so they are not reported twice.
    """
    for name, value in fields.items():
        if name in CATEGORY_FIELDS:
            setattr(category, name, value.strip() if isinstance(value, str) else value)
    errors = {}
    if category.follow_up_days is not None and not 1 <= category.follow_up_days <= 365:
        errors["follow_up_days"] = [_("管控天数应在 1 到 365 天之间")]
    if category.nat_every_days is not None and not 1 <= category.nat_every_days <= 60:
        errors["nat_every_days"] = [_("核酸检测间隔应在 1 到 60 天之间")]
    try:
        category.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    errors = {field: messages for field, messages in errors.items() if field not in exclude}
    if errors:
        raise ValidationError(errors)
    return category


@transaction.atomic
def save_category(category: Category | None, *, user, **fields) -> Category:
    """Create (category=None) or change a key-person category; the model's own checks give the messages."""
    category = check_category(category or Category(), **fields)
    category.save()
    audit.record_change(category, user)
    return category


def open_counts(user) -> dict[int, int]:
    """{category id: open screenings the user may see}: counts stay within the viewer's scope."""
    from django.db.models import Count

    rows = (Screening.objects.visible_to(user).active().order_by().values("category_id")
            .annotate(n=Count("id")).values_list("category_id", "n"))
    return dict(rows)


# Who follows a person up, and the key-person list ----------------------------------------------------

def responsible_workers(person: Person):
    """Active users allowed to follow up key persons whose scope covers `person` (area and, if any, grid)."""
    area_ids = [int(part) for part in person.area.path.strip("/").split("/") if part]
    grids, grid = [], person.household.grid if person.household_id else None
    while grid is not None and len(grids) < 3:  # a grid worker sees their grid and two levels below it
        grids.append(grid.pk)
        grid = grid.parent
    may_follow = (Q(groups__permissions__codename="add_followup",
                    groups__permissions__content_type__app_label="screening")
                  | Q(user_permissions__codename="add_followup",
                      user_permissions__content_type__app_label="screening"))
    users = User.objects.filter(is_active=True, area_id__in=area_ids).filter(
        Q(grid__isnull=True) | Q(grid_id__in=grids)).filter(may_follow)
    return User.objects.filter(pk__in=users.values("pk")).order_by("area__path", "full_name", "username")


def overdue_q(day: datetime.date) -> Q:
    """今日未跟进 as a condition: open, needing follow-ups (not FollowUpKind.NONE), none on `day` yet.

    The key-person list's 今日未跟进 filter and ✕ mark and the daily report all use this one rule.
    """
    return (Q(state__in=ACTIVE_STATES, reported_on__lte=day) & ~Q(follow_up=FollowUpKind.NONE)
            & (Q(last_follow_up_on__isnull=True) | Q(last_follow_up_on__lt=day)))


def overdue(screenings, day: datetime.date | None = None):
    return screenings.filter(overdue_q(day or today()))


OPEN, ALL = "open", "all"
FILTERS = ("q", "category", "state", "source", "area", "overdue", "person")


def filter_screenings(user, params: dict):
    """The key-person list with its search and filters, within the user's scope (pages and API).

    `person` is a person's id. `state` is "open" (the default: reported, verified, under control), "all", or one state.
    """
    screenings = Screening.objects.visible_to(user)
    state = params.get("state") or OPEN
    if state == OPEN:
        screenings = screenings.active()
    elif state in State.values:
        screenings = screenings.filter(state=state)
    category = str(params.get("category") or "")
    if category.isdigit():
        screenings = screenings.filter(category_id=int(category))
    elif category:
        screenings = screenings.filter(category__code=category)
    if params.get("source") in Source.values:
        screenings = screenings.filter(source=params["source"])
    person = str(params.get("person") or "")
    if person:  # one person's screenings (a trace's contact); not a number finds none
        screenings = screenings.filter(person_id=int(person)) if person.isdigit() else screenings.none()
    area = str(params.get("area") or "")
    if area.isdigit():
        area = Area.objects.visible_to(user).filter(pk=int(area)).first()
        screenings = screenings.in_area(area) if area else screenings.none()
    if str(params.get("overdue") or "") in ("1", "true", "on"):
        screenings = overdue(screenings)
    text = (params.get("q") or "").strip()
    if text:
        screenings = screenings.filter(person__in=Person.objects.visible_to(user).search(text).values("pk"))
    return screenings


GATE_EFFECTS_KEY = "screening:gate-effects"


def gate_effects() -> dict[str, tuple[str, str]]:
    """{category code: (gate effect, name)} of the categories that affect passage; cached, cleared on change."""
    effects = cache.get(GATE_EFFECTS_KEY)
    if effects is None:
        effects = {code: (effect, name) for code, effect, name in Category.objects.exclude(
            gate_effect=GateEffect.NONE).values_list("code", "gate_effect", "name")}
        cache.set(GATE_EFFECTS_KEY, effects, 300)
    return effects


def forget_gate_effects(**kwargs):
    cache.delete(GATE_EFFECTS_KEY)


# Home page ----------------------------------------------------------------------------------------------

def todos(user) -> list:
    """待办 of key persons and daily reports, as far as the user may open them:

    - a community worker whose community has not submitted today's 日报 (first, and marked when the district or
      subdistrict has sent 催报 today);
    - an officer above the communities: the communities without today's 日报, the first few with 催报;
    - whoever follows key persons up: those not followed up today (the `overdue_q` rule).
    """
    from django.urls import reverse

    from fangkong.core.todo import Todo
    from fangkong.territory.models import AreaLevel

    from . import reports

    items = []
    area = user.area
    if area is not None and area.level == AreaLevel.COMMUNITY:
        if not user.grid_id and user.has_perm("screening.submit_dailyreport"):
            submitted, reminded_at = reports.own_report_today(area)
            if reminded_at and not submitted:
                items.append(Todo("report_reminded", _("区/街道已催报今日日报（%(at)s）") % {
                    "at": timezone.localtime(reminded_at).strftime("%H:%M")}, reverse("reports:today"), urgent=True))
            elif not submitted:
                items.append(Todo("report_due", _("本社区今日日报还没有上报"), reverse("reports:today")))
    elif (area is not None or user.is_superuser) and not user.grid_id \
            and user.has_perm("screening.view_dailyreport"):
        missing, first = reports.missing_today(user)
        if missing:
            items.append(Todo("reports_missing", _("%(n)d 个社区/村还没有上报今日日报") % {"n": missing},
                              reverse("reports:district"), missing, rows=first))
    if user.has_perm("screening.view_screening"):
        waiting = overdue(Screening.objects.visible_to(user)).count()
        if waiting:
            items.append(Todo("follow_ups_due", _("%(n)d 名重点人员今日还未跟进") % {"n": waiting},
                              reverse("screening:list") + "?overdue=1", waiting))
    return items
