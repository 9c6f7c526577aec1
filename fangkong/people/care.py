"""关爱对象 use cases: vulnerable persons, their responsible workers, and visits.

A visit is recorded per person (Visit) and stamps `last_visited_on` on every Care row of that
person, so "not visited for N days" is one indexed filter on Care.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.audit import services as audit

from .models import Care, CareGroup, Person, Visit

DEFAULT_OVERDUE_DAYS = 7
MAX_OVERDUE_DAYS = 3650


def today():
    return timezone.localdate()


def covers(worker, person: Person) -> bool:
    """Whether the person lies within the worker's scope (area, and grid for grid workers)."""
    return worker is not None and worker.is_active and Person.objects.visible_to(worker).filter(pk=person.pk).exists()


def worker_choices(user, person: Person | None = None):
    """Staff the user may name as responsible worker: active accounts in the user's area (and covering `person`)."""
    workers = User.objects.visible_to(user).filter(is_active=True).order_by("full_name", "username")
    if person is not None:
        workers = [w for w in workers.select_related("area", "grid") if covers(w, person)]
    return workers


def clean_care(data: dict, *, user) -> dict:
    """`data`: person (a Person), group, worker (a User), note. ValidationError with a message per field."""
    errors, cleaned = {}, {}
    person = data.get("person")
    if person is None or not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        errors["person"] = _("未找到该人员，或其不在您的管辖范围内")
    cleaned["person"] = person
    group = data.get("group") or ""
    if group not in CareGroup.values:
        errors["group"] = _("请选择关爱类别")
    elif "person" not in errors and Care.objects.filter(person=person, group=group).exists():
        errors["group"] = _("该人员已登记为%(group)s") % {"group": CareGroup(group).label}
    cleaned["group"] = group
    worker = data.get("worker")
    if worker is None:
        errors["worker"] = _("请选择责任人")
    elif not User.objects.visible_to(user).filter(pk=worker.pk).exists():
        errors["worker"] = _("所选责任人不在您的管辖范围内")
    elif "person" not in errors and not covers(worker, person):
        errors["worker"] = _("所选责任人的管辖范围不包括该人员，请选择负责其所在社区或网格的工作人员")
    cleaned["worker"] = worker
    note = (data.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = _("情况说明不能超过200个字")
    cleaned["note"] = note
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def add_care(data: dict, *, user) -> Care:
    cleaned = clean_care(data, user=user)
    person = cleaned["person"]
    # A person already visited before joining this group keeps their last visit date.
    last = Visit.objects.filter(person=person).aggregate(last=models.Max("visited_on"))["last"]
    care = Care(person=person, group=cleaned["group"], worker=cleaned["worker"], note=cleaned["note"],
                last_visited_on=last)
    care.save()
    audit.record_change(care, user)
    return care


@transaction.atomic
def record_visit(person: Person, visited_on: datetime.date, note: str, *, user) -> Visit:
    """A visit to a vulnerable person; every Care row of theirs now shows it as the latest if it is."""
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    errors = {}
    if visited_on is None:
        errors["visited_on"] = _("请填写走访日期")
    elif visited_on > today():
        errors["visited_on"] = _("走访日期不能晚于今天")
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = _("走访情况不能超过500个字")
    cares = list(Care.objects.select_for_update().filter(person=person))
    if not cares:
        errors["person"] = _("该人员不是关爱对象，请先登记")
    if errors:
        raise ValidationError(errors)
    visit = Visit.objects.create(person=person, visited_on=visited_on, by=user, note=note)
    for care in cares:
        if care.last_visited_on is None or care.last_visited_on < visited_on:
            care.last_visited_on = visited_on
            care.save(update_fields=["last_visited_on"])
            audit.record_change(care, user)
    return visit


def overdue_days(value) -> int | None:
    """The "N 天未走访" filter as typed: a whole number of days, or None when empty or not a number."""
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return days if 0 <= days <= MAX_OVERDUE_DAYS else None


def filter_cares(user, params: dict):
    """Care rows the user may see, filtered by group and by "not visited for N days", longest unvisited first.

    Not visited for N days: never visited, or the last visit was N or more days ago (a person visited
    exactly seven days ago counts as 7 天未走访).
    """
    cares = Care.objects.visible_to(user)
    if params.get("group") in CareGroup.values:
        cares = cares.filter(group=params["group"])
    if params.get("person") and str(params["person"]).isdigit():
        cares = cares.filter(person_id=params["person"])
    days = overdue_days(params.get("days"))
    if days is not None:
        cutoff = today() - datetime.timedelta(days=days)
        cares = cares.filter(models.Q(last_visited_on__isnull=True) | models.Q(last_visited_on__lte=cutoff))
    return cares.order_by(models.F("last_visited_on").asc(nulls_first=True), "id")


def days_since(care: Care) -> int | None:
    return None if care.last_visited_on is None else (today() - care.last_visited_on).days
