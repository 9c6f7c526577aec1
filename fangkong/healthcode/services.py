"""Health-code use cases: computing colours from facts by rules, overrides with a second approver,
place policies and the rules themselves. Pages, API, imports, commands and the demo all call these."""

import datetime

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.core import cache as versions
from fangkong.core.db import id_array

from .facts import facts_for
from .models import (
    COLOUR_RANK,
    Colour,
    HealthStatus,
    Override,
    OverrideReason,
    OverrideState,
    PlacePolicy,
    Rule,
)

CHUNK = 50_000
MAX_OVERRIDE_DAYS = 14
TEST_RESULTS = {"test:negative": "negative", "test:positive": "positive", "test:pool_positive": "pool_positive"}
# A status row's columns: _status's tuples, the upsert, the gate's raw queries.
STATUS_COLUMNS = ["person_id", "colour", "computed_colour", "reasons", "computed_at", "last_test_result",
                  "last_test_at", "last_negative_at", "in_sealed_zone", "key_persons", "override_id", "isolation"]


# Computing colours ---------------------------------------------------------------------------------

def colour_label(colour: str) -> str:
    return str(Colour(colour).label)


def override_reason_text(override: Override) -> str:
    until = timezone.localtime(override.expires_at).strftime("%Y-%m-%d %H:%M")
    return _("人工赋码%(colour)s：%(reason)s，%(note)s（%(until)s 前有效）") % {
        "colour": colour_label(override.colour), "reason": override.get_reason_display(), "note": override.note,
        "until": until}


GREEN = Colour.GREEN.value


def _at(fact):
    return fact.at


def _minus_rank(reason):
    return -reason[0]


def _status(person_id, facts, rules, override, now) -> tuple:
    """One person's row (STATUS_COLUMNS order) from their facts: the worst colour of the rules that apply, with
    the reasons; `rules` from active_rules(). It runs a million times after a district's results, so it works
    on plain values and gives None for no reasons or key persons: such a row holds no container (nothing for
    the garbage collector to scan again and again) and COPY sends no empty arrays."""
    colour, rank, reasons = GREEN, 0, []
    last_test_at, last_test_result, last_negative = None, "", None
    sealed = False
    key_persons = []
    isolation = ""
    for fact in sorted(facts, key=_at) if len(facts) > 1 else facts:
        kind, at = fact.kind, fact.at
        if kind.startswith("screening:"):
            key_persons.append(kind[10:])
        result = TEST_RESULTS.get(kind)
        if result is not None:
            if last_test_at is None or at >= last_test_at:
                last_test_at, last_test_result = at, result
            if result == "negative" and (last_negative is None or at > last_negative):
                last_negative = at
        if kind == "zone:sealed":
            sealed = True
        elif kind.startswith("isolation:"):
            isolation = kind[10:]
        rule = rules.get(kind)
        if rule is None or (rule[2] is not None and at + rule[2] <= now):
            continue
        if rule[1] > rank:
            colour, rank = rule[0], rule[1]
        if rule[1]:
            reasons.append((rule[1], fact.reason))
    # Worst first; the same reason from two facts once.
    if len(reasons) > 1:
        reasons.sort(key=_minus_rank)
        texts = list(dict.fromkeys(text for _rank, text in reasons))
    else:
        texts = [text for _rank, text in reasons] or None
    if override is None:
        return (person_id, colour, colour, texts, now, last_test_result, last_test_at, last_negative, sealed,
                key_persons or None, None, isolation)
    return (person_id, override.colour, colour, [override_reason_text(override), *(texts or ())], now,
            last_test_result, last_test_at, last_negative, sealed, key_persons or None, override.pk, isolation)


def active_rules() -> dict[str, tuple]:
    """The active rules as fact kind → (colour, rank, days as a timedelta or None), for _status."""
    return {fact: (colour, COLOUR_RANK[colour], None if days is None else datetime.timedelta(days=days))
            for fact, colour, days in Rule.objects.filter(active=True).values_list("fact", "colour", "days")}


def _in_force_overrides(person_ids, now) -> dict[int, Override]:
    """The approved, unexpired override of each person (the latest decided one if several)."""
    found = {}
    rows = (Override.objects.filter(person_id__in=id_array(person_ids), state=OverrideState.APPROVED,
                                    expires_at__gt=now).order_by("person_id", "decided_at", "id"))
    for override in rows:
        found[override.person_id] = override
    return found


def recompute(person_ids, *, now=None) -> int:
    """Recompute and store the HealthStatus of these persons; returns how many rows were written.

    Bulk throughout: per chunk of CHUNK ids, one query for the persons that exist, one per fact source
    (each a constant number of queries), one for overrides and one upsert; the rules are read once.
    """
    from fangkong.people.models import Person

    now = now or timezone.now()
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return 0
    rules = active_rules()
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = list(Person._base_manager.filter(pk__in=id_array(ids[start:start + CHUNK]))
                     .values_list("pk", flat=True).order_by())
        if not chunk:
            continue
        facts = facts_for(chunk)
        overrides = _in_force_overrides(chunk, now)
        rows = [_status(pk, facts.get(pk, ()), rules, overrides.get(pk), now) for pk in chunk]
        _upsert(rows)
        written += len(rows)
    return written


# The rows go to a temporary table by COPY, then into the status table in one statement; PostgreSQL turns the
# lists into JSON itself (text[] → jsonb, NULL → []), so Python dumps no JSON per row.
STATUS_ROWS_SQL = """
CREATE TEMP TABLE IF NOT EXISTS healthcode_status_rows (
    person_id bigint, colour text, computed_colour text, reasons text[], computed_at timestamptz,
    last_test_result text, last_test_at timestamptz, last_negative_at timestamptz, in_sealed_zone boolean,
    key_persons text[], override_id bigint, isolation text) ON COMMIT DELETE ROWS
"""
STATUS_ROW_TYPES = ["int8", "text", "text", "text[]", "timestamptz", "text", "timestamptz", "timestamptz", "bool",
                    "text[]", "int8", "text"]
UPSERT_SQL = """
INSERT INTO healthcode_healthstatus (person_id, colour, computed_colour, reasons, computed_at, last_test_result,
                                     last_test_at, last_negative_at, in_sealed_zone, key_persons, override_id,
                                     isolation)
SELECT person_id, colour, computed_colour, COALESCE(to_jsonb(reasons), '[]'), computed_at, last_test_result,
       last_test_at, last_negative_at, in_sealed_zone, COALESCE(to_jsonb(key_persons), '[]'), override_id, isolation
FROM healthcode_status_rows
ON CONFLICT (person_id) DO UPDATE SET colour = EXCLUDED.colour, computed_colour = EXCLUDED.computed_colour,
    reasons = EXCLUDED.reasons, computed_at = EXCLUDED.computed_at, last_test_result = EXCLUDED.last_test_result,
    last_test_at = EXCLUDED.last_test_at, last_negative_at = EXCLUDED.last_negative_at,
    in_sealed_zone = EXCLUDED.in_sealed_zone, key_persons = EXCLUDED.key_persons, override_id = EXCLUDED.override_id,
    isolation = EXCLUDED.isolation
"""


def _upsert(rows):
    """Write the rows (tuples in STATUS_COLUMNS order) by COPY and one INSERT … ON CONFLICT."""
    # In a transaction (the rows live until it commits); the table may hold an earlier chunk of the same one.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"{STATUS_ROWS_SQL}; TRUNCATE healthcode_status_rows")
        with cursor.copy("COPY healthcode_status_rows FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(STATUS_ROW_TYPES)
            for row in rows:
                copy.write_row(row)
        cursor.execute(UPSERT_SQL)


def recompute_on_commit(person_ids):
    """Recompute once the current transaction commits (now, outside one): facts are then visible."""
    ids = list(person_ids)
    transaction.on_commit(lambda: recompute(ids))


# The overview: who has which colour ------------------------------------------------------------------

NOT_GREEN = [Colour.RED, Colour.YELLOW]  # "in", not "not green": the colour index can serve it
SEVERITY = Case(When(colour=Colour.RED, then=Value(0)), When(colour=Colour.YELLOW, then=Value(1)), default=Value(2),
                output_field=IntegerField())


def colour_counts(user) -> dict[int, dict[str, int]]:
    """{area id: {colour: persons}} in the user's scope, by stored colour (`refresh_health_codes` keeps it
    current). Green is everyone else: a person without a status row has no facts.

    Red and yellow are counted through the colour index (a district has thousands, not a million); the persons
    per area are the territory's counts of residents (Person.objects.in_ledger), cached a minute per scope."""
    from fangkong.territory import services as territory

    by_area = {area_id: {Colour.RED: 0, Colour.YELLOW: 0, Colour.GREEN: n}
               for area_id, n in territory.grouped_counts("persons", user) if area_id}
    from fangkong.people.models import LEDGER_RESIDENCIES

    # Residents only, like the persons counted: a red visitor is in the list below, not in a community's count.
    rows = (HealthStatus.objects.visible_to(user).filter(colour__in=NOT_GREEN, person__residency__in=LEDGER_RESIDENCIES)
            .values("person__area_id", "colour").annotate(n=Count("pk")).order_by())
    for row in rows:
        counts = by_area.setdefault(row["person__area_id"], dict.fromkeys(Colour.values, 0))
        counts[row["colour"]] += row["n"]
        counts[Colour.GREEN] = max(0, counts[Colour.GREEN] - row["n"])  # the persons count may be a minute old
    return by_area


def coloured(user, show="", area=None, q=""):
    """The status rows of the user's scope with colour `show` (red and yellow when empty), worst first,
    optionally in one area and matching a name or number (Person.search)."""
    from fangkong.people.models import Person

    statuses = HealthStatus.objects.visible_to(user)
    statuses = statuses.filter(colour=show) if show else statuses.filter(colour__in=NOT_GREEN)
    if area:
        statuses = statuses.filter(person__area_id=area)
    if q:
        statuses = statuses.filter(person__in=Person.objects.visible_to(user).search(q))
    return statuses.order_by(SEVERITY, "-computed_at", "pk")


def status_for(person) -> HealthStatus:
    """The person's current row, computed first if they have none yet."""
    status = HealthStatus.objects.filter(person_id=person.pk).select_related("override").first()
    if status is None:
        recompute([person.pk])
        status = HealthStatus.objects.select_related("override").get(person_id=person.pk)
    return status


def effective_colour(status: HealthStatus, at=None) -> str:
    """The colour in force at `at`: an override that has expired since the row was computed no longer counts."""
    if status.override_id is not None:
        override = status.override
        if override.state != OverrideState.APPROVED or override.expires_at <= (at or timezone.now()):
            return status.computed_colour
    return status.colour


def effective_reasons(status: HealthStatus, at=None) -> list[str]:
    if status.override_id is not None and effective_colour(status, at) != status.colour:
        return status.reasons[1:]
    return list(status.reasons)


def stale_person_ids():
    """Persons whose colour may have changed by time alone: anyone not green (facts with days age out, overrides
    expire). Green only turns worse through a new fact, which recomputes at once."""
    from django.db.models import Q

    return (HealthStatus.objects.filter(~Q(colour=Colour.GREEN) | ~Q(computed_colour=Colour.GREEN)
                                        | Q(override__isnull=False))
            .values_list("person_id", flat=True))


def refresh(now=None) -> tuple[int, int]:
    """The scheduled job: mark expired overrides, then recompute everyone who may turn greener by time."""
    now = now or timezone.now()
    expired = 0
    for override in Override.objects.filter(state=OverrideState.APPROVED, expires_at__lte=now):
        override.state = OverrideState.EXPIRED
        with transaction.atomic():
            override.save(update_fields=["state"])
            audit.record_change(override, None)  # by the scheduled job itself
        expired += 1
    ids = list(stale_person_ids())
    return expired, recompute(ids, now=now)


# Rules ----------------------------------------------------------------------------------------------

RULES_VERSION_KEY = "healthcode:rules-version"


def covered_fact_kinds() -> frozenset:
    """The fact kinds that an active rule turns into a colour (cached; a rule change clears it)."""
    key = f"healthcode:covered:{versions.version(RULES_VERSION_KEY)}"
    kinds = cache.get(key)
    if kinds is None:
        kinds = frozenset(Rule.objects.filter(active=True).exclude(colour=Colour.GREEN).values_list("fact", flat=True))
        cache.set(key, kinds, 300)
    return kinds


def rules_changed(**kwargs):
    versions.changed(RULES_VERSION_KEY)


def persons_with_fact(fact_kind: str) -> list[int]:
    """Who a rule about `fact_kind` may concern: those with that fact now, and everyone not green."""
    ids = set(stale_person_ids())
    if fact_kind.startswith("screening:"):
        from fangkong.screening.models import Screening

        ids.update(Screening.objects.active().filter(category__code=fact_kind.split(":", 1)[1])
                   .values_list("person_id", flat=True))
    elif fact_kind.startswith("declared:"):
        from fangkong.passes.models import Declaration

        field = {"declared:symptoms": "has_symptoms", "declared:risk_area": "visited_risk_area",
                 "declared:contact": "had_contact"}.get(fact_kind)
        if field:
            ids.update(Declaration.objects.filter(**{field: True}).values_list("person_id", flat=True))
    else:
        # Facts of other apps (tests, zones): everyone with a status row, in chunks in the background.
        ids.update(HealthStatus.objects.values_list("person_id", flat=True))
    return sorted(ids)


@transaction.atomic
def save_rule(rule: Rule, *, user, colour: str, days, active: bool, description: str | None = None) -> Rule:
    """Change a rule (district admins); everyone it may concern is recomputed in the background."""
    if not user.has_perm("healthcode.change_rule"):
        raise PermissionDenied(_("只有区级管理员可以修改赋码规则"))
    errors = {}
    if colour not in Colour.values:
        errors["colour"] = _("请选择绿码、黄码或红码")
    if days not in (None, ""):
        try:
            days = int(days)
        except (TypeError, ValueError):
            days = -1
        if not 1 <= days <= 365:
            errors["days"] = _("有效天数应为 1 到 365 之间的整数，不限请留空")
    else:
        days = None
    if errors:
        raise ValidationError(errors)
    rule.colour, rule.days, rule.active = colour, days, bool(active)
    if description is not None and description.strip():
        rule.description = description.strip()[:200]
    rule.save()
    audit.record_change(rule, user)
    from .tasks import recompute_rule

    fact = rule.fact
    transaction.on_commit(lambda: recompute_rule.delay(fact))
    return rule


# Overrides ------------------------------------------------------------------------------------------

def may_approve(user) -> bool:
    return user.is_active and user.has_perm("healthcode.approve_override")


def approvers_for(user) -> tuple[list[str], list]:
    """Who decides the overrides `user` sees: the names of the roles allowed to approve, and the active
    approvers whose area covers the user's (other than the user), for the queue to say whom to ask."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    from fangkong.accounts.roles import Role

    permission = Permission.objects.filter(content_type__app_label="healthcode", codename="approve_override").first()
    if permission is None:
        return [], []
    roles = [str(Role(name).label) if name in Role.values else name
             for name in Group.objects.filter(permissions=permission).order_by("name").values_list("name", flat=True)]
    candidates = (get_user_model().objects.filter(is_active=True)
                  .filter(Q(groups__permissions=permission) | Q(user_permissions=permission) | Q(is_superuser=True))
                  .exclude(pk=user.pk).select_related("area").distinct().order_by("username"))
    area_path = user.area.path if getattr(user, "area", None) else None
    people = [c for c in candidates
              if c.area is None or (area_path is not None and area_path.startswith(c.area.path))]
    return roles, people


@transaction.atomic
def request_override(person, *, colour: str, reason: str, note: str, user, expires_at=None, days=None,
                     now=None) -> Override:
    """A pending manual colour: a fixed reason, a note and an expiry of at most MAX_OVERRIDE_DAYS days."""
    now = now or timezone.now()
    errors = {}
    if colour not in Colour.values:
        errors["colour"] = _("请选择要赋的颜色")
    if reason not in OverrideReason.values:
        errors["reason"] = _("请从列表中选择原因类别")
    note = (note or "").strip()
    if not note:
        errors["note"] = _("请填写具体说明（依据、文号或情况）")
    elif len(note) > 500:
        errors["note"] = _("具体说明最多 500 字")
    if expires_at is None and days not in (None, ""):
        try:
            expires_at = now + datetime.timedelta(days=int(days))
        except (TypeError, ValueError):
            errors["expires_at"] = _("有效天数应为整数")
    if "expires_at" not in errors:
        if expires_at is None:
            errors["expires_at"] = _("请填写失效时间")
        elif expires_at <= now:
            errors["expires_at"] = _("失效时间应晚于现在")
        elif expires_at > now + datetime.timedelta(days=MAX_OVERRIDE_DAYS, minutes=1):
            errors["expires_at"] = _("人工赋码最长有效 %(days)d 天") % {"days": MAX_OVERRIDE_DAYS}
    if errors:
        raise ValidationError(errors)
    override = Override.objects.create(person=person, colour=colour, reason=reason, note=note,
                                       expires_at=expires_at, requested_by=user)
    audit.record_change(override, user)
    return override


def _decide(override: Override, user, note: str, approve: bool, now=None) -> Override:
    now = now or timezone.now()
    # Lock the row: two approvers clicking at once decide it once.
    override = Override.objects.select_for_update().get(pk=override.pk)
    if not may_approve(user):
        raise PermissionDenied(_("您没有审批人工赋码的权限"))
    if override.requested_by_id == user.pk:
        raise ValidationError(_("不能审批自己提交的人工赋码申请，请由另一位审批人审批"), code="self_approval")
    if override.state != OverrideState.PENDING:
        raise ValidationError(_("该申请已处理（%(state)s），不能重复审批") % {"state": override.get_state_display()})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"decision_note": _("请填写审批意见")})
    if approve and override.expires_at <= now:
        raise ValidationError(_("该申请的失效时间已过，请重新申请"))
    override.state = OverrideState.APPROVED if approve else OverrideState.REJECTED
    override.decided_by, override.decided_at, override.decision_note = user, now, note[:300]
    override.save()
    audit.record_change(override, user, changes={
        "decision": "approve" if approve else "reject", "colour": override.colour, "reason": override.reason,
        "requested_by": override.requested_by_id, "note": override.decision_note})
    return override


@transaction.atomic
def approve(override: Override, user, note: str, *, now=None) -> Override:
    """Put a pending override in force (never by its requester); the colour changes at once."""
    override = _decide(override, user, note, True, now)
    recompute([override.person_id], now=now)
    return override


@transaction.atomic
def reject(override: Override, user, note: str, *, now=None) -> Override:
    return _decide(override, user, note, False, now)


# Place policies -------------------------------------------------------------------------------------

POLICY_VERSION_KEY = "healthcode:policies-version"
POLICY_CACHE_SECONDS = 60


def policies_changed(**kwargs):
    versions.changed(POLICY_VERSION_KEY)


def _candidate_policies(place) -> list[PlacePolicy]:
    """Every policy that may apply to this place on some day, cached per place for a minute."""
    from django.db.models import Q

    key = f"healthcode:policies:{versions.version(POLICY_VERSION_KEY)}:{place.pk}"
    found = cache.get(key)
    if found is None:
        ancestors = [int(part) for part in place.area.path.strip("/").split("/")] if place.area_id else []
        found = list(PlacePolicy.objects.filter(
            Q(place_id=place.pk) | Q(place__isnull=True, area_id__in=ancestors, kind__in=["", place.kind]))
            .select_related("area"))
        cache.set(key, found, POLICY_CACHE_SECONDS)
    return found


def _specificity(policy: PlacePolicy):
    tier = 2 if policy.place_id else (1 if policy.kind else 0)
    return (tier, policy.area.path.count("/"), policy.starts_on, policy.pk)


def policy_in_force(place, at=None) -> PlacePolicy | None:
    """The most specific policy in force for the place on `at`'s day: place > kind in area > area, nearest area."""
    day = timezone.localdate(at or timezone.now())
    in_force = [p for p in _candidate_policies(place) if p.starts_on <= day and (p.ends_on is None or day <= p.ends_on)]
    return max(in_force, key=_specificity, default=None)


POLICY_FIELDS = ["name", "place", "kind", "area", "colour", "test_within_hours", "no_sealed_zone",
                 "require_temperature", "starts_on", "ends_on"]


def check_policy(policy: PlacePolicy, user):
    """Cross-field rules of a policy and the user's scope, in Chinese, per field."""
    from fangkong.passes.models import Place, PlaceKind
    from fangkong.territory.models import Area

    errors = {}
    if not (policy.name or "").strip():
        errors["name"] = _("请填写名称")
    if policy.area_id is None and policy.place_id is None:
        errors["area"] = _("请选择区域")
    if policy.place_id is not None:
        if not Place.objects.visible_to(user).filter(pk=policy.place_id).exists():
            errors["place"] = _("只能为本辖区的场所设置政策")
        else:
            policy.area_id = Place.objects.values_list("area_id", flat=True).get(pk=policy.place_id)
            policy.kind = ""
    elif policy.area_id is not None and not Area.objects.visible_to(user).filter(pk=policy.area_id).exists():
        errors["area"] = _("只能为本辖区设置政策")
    if policy.kind and policy.kind not in PlaceKind.values:
        errors["kind"] = _("请选择场所类型")
    if policy.starts_on and policy.ends_on and policy.ends_on < policy.starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期")
    if not policy.starts_on:
        errors["starts_on"] = _("请填写开始日期")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_policy(policy: PlacePolicy | None, *, user, **fields) -> PlacePolicy:
    """Create or change a place policy (per place, per kind of place in an area, or per area)."""
    if not user.has_perm("healthcode.add_placepolicy" if policy is None else "healthcode.change_placepolicy"):
        raise PermissionDenied(_("您没有设置场所通行政策的权限"))
    policy = policy or PlacePolicy(created_by=user)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.name = (policy.name or "").strip()
    check_policy(policy, user)
    policy.save()
    audit.record_change(policy, user)
    return policy


@transaction.atomic
def end_policy(policy: PlacePolicy, *, user, day=None) -> PlacePolicy:
    """End a policy today (it stays listed with its dates)."""
    if not user.has_perm("healthcode.change_placepolicy"):
        raise PermissionDenied(_("您没有设置场所通行政策的权限"))
    day = day or timezone.localdate()
    policy.ends_on = max(day, policy.starts_on)
    policy.save()
    audit.record_change(policy, user)
    return policy



# The status row read inside another raw query (the gate's hot paths) and its conversion.
STATUS_COLUMNS_SQL = ", ".join(f"h.{column}" for column in STATUS_COLUMNS)
_STATUS_MODEL_FIELDS = [HealthStatus._meta.get_field(column) for column in STATUS_COLUMNS]
STATUS_JOIN_SQL = "LEFT JOIN healthcode_healthstatus h ON h.person_id = p.id"


def _from_db(field, value):
    """A raw cursor's value as the ORM would give it: Django has psycopg load JSON as text, for the field to decode."""
    if value is not None and hasattr(field, "from_db_value"):  # JSONField
        return field.from_db_value(value, None, connection)
    return value


def attach_status(person, values):
    """Cache the status row read with STATUS_COLUMNS_SQL on `person`, so that the gate verdict reads no more.
    A person without a row keeps none cached, and the verdict computes it (once)."""
    from fangkong.people.models import Person

    if values[0] is None:
        return
    status = HealthStatus.from_db(None, STATUS_COLUMNS, [
        _from_db(field, value) for field, value in zip(_STATUS_MODEL_FIELDS, values, strict=True)])
    Person.health_status.related.set_cached_value(person, status)


# Home page ------------------------------------------------------------------------------------------

def todos(user) -> list:
    """待办 of health codes: the override requests waiting for this user's decision (never their own)."""
    from django.urls import reverse

    from fangkong.core.todo import Todo

    if not may_approve(user):
        return []
    waiting = (Override.objects.visible_to(user).filter(state=OverrideState.PENDING)
               .exclude(requested_by=user).count())
    if not waiting:
        return []
    return [Todo("overrides_waiting", _("%(n)d 条人工赋码申请等待您审批") % {"n": waiting},
                 reverse("healthcode:overrides"), waiting)]
