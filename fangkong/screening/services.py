"""Screening use cases. Pages, API, imports and the demo all go through these functions."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.context import acting_as
from fangkong.people.models import Person

from .models import ACTIVE_STATES, Category, FollowUp, Screening, Source, State, StateChange

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
    with acting_as(user):
        screening.save()
    return screening


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
    with acting_as(user):
        screening.save()
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
    if screening.last_follow_up_on is None or on > screening.last_follow_up_on:
        Screening.objects.filter(pk=screening.pk).update(last_follow_up_on=on)
        screening.last_follow_up_on = on
    return follow_up


def delete_category(category: Category, *, user):
    """Delete an unused category; one that screenings refer to is refused (deactivate it instead)."""
    try:
        with acting_as(user):
            category.delete()
    except ProtectedError:
        raise ValidationError(_("“%(name)s”已有 %(n)d 条排查记录，不能删除，可以停用") % {
            "name": category.name, "n": category.screenings.count()}) from None
