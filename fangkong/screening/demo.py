"""Key persons for the demo district: screenings in many categories and states, daily follow-ups,
some of them overdue today, so the key-person list and the daily report have something to show."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel

from . import reports
from .models import ACTIVE_STATES, Category, DailyReport, FollowUp, Screening, Source, State, StateChange

SHARE = 0.04  # of residents screened in the last weeks
WEIGHTS = {"return_province": 40, "return_risk_area": 10, "return_abroad": 3, "close_contact": 8,
           "secondary_contact": 8, "spatiotemporal": 10, "fever": 6, "sealed_zone": 3, "controlled_zone": 5,
           "cold_chain": 4, "port_worker": 3}
ORIGINS = ["北京市朝阳区", "上海市浦东新区", "广州市白云区", "郑州市金水区", "西安市雁塔区", "石家庄市藁城区",
           "境外（韩国）"]
# The states a screening passed through to reach its current one.
PATH = {State.REPORTED: [], State.VERIFIED: [State.VERIFIED],
        State.UNDER_CONTROL: [State.VERIFIED, State.UNDER_CONTROL],
        State.RELEASED: [State.VERIFIED, State.UNDER_CONTROL, State.RELEASED], State.LEFT: [State.LEFT],
        State.NOT_FOUND: [State.NOT_FOUND]}
REASONS = {State.VERIFIED: "电话及入户核实身份", State.UNDER_CONTROL: "已落实居家管控措施",
           State.RELEASED: "管控期满，核酸阴性", State.LEFT: "已返回工作地", State.NOT_FOUND: "登记地址无此人"}


def build(district, rng, workers):
    """Create key persons once; `workers` maps community id to the users who follow them up."""
    if Screening.objects.in_area(district).exists():
        return
    today = timezone.localdate()
    categories = {c.code: c for c in Category.objects.filter(code__in=WEIGHTS)}
    codes = [code for code in WEIGHTS if code in categories]
    persons = [p for p in Person.objects.in_area(district).in_ledger().select_related("household").only(
        "pk", "area_id", "household__grid_id") if rng.random() < SHARE]
    screenings = []
    for person in persons:
        category = categories[rng.choices(codes, weights=[WEIGHTS[c] for c in codes])[0]]
        reported = today - timedelta(days=rng.randint(0, 20))
        until = reported + timedelta(days=category.follow_up_days)
        state = _state(reported, until, today, rng)
        screenings.append(Screening(
            person=person, category=category, area_id=person.area_id,
            grid_id=person.household.grid_id if person.household else None,
            source=rng.choice(Source.values), origin=rng.choice(ORIGINS) if category.code.startswith("return") else "",
            reported_on=reported, worker=rng.choice(workers.get(person.area_id) or workers[None]),
            follow_up=category.follow_up, control_until=until, plan=category.get_follow_up_display(), state=state,
            state_reason=REASONS.get(state, ""), closed_on=min(until, today) if state not in ACTIVE_STATES else None))
    Screening.objects.bulk_create(screenings, batch_size=2000)
    changes, follow_ups = [], []
    for screening in screenings:
        _history(screening, rng, today, changes, follow_ups)
    StateChange.objects.bulk_create(changes, batch_size=5000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=5000)
    Screening.objects.bulk_update(screenings, ["last_follow_up_on", "state_changed_at"], batch_size=2000)
    _yesterdays_reports(district, workers, today - timedelta(days=1))


def _yesterdays_reports(district, workers, day):
    """Yesterday's daily reports, frozen as submitted, from every community but the last (not yet reported)."""
    communities = list(Area.objects.subtree(district).filter(level=AreaLevel.COMMUNITY).order_by("path"))
    DailyReport.objects.bulk_create([
        DailyReport(area=community, day=day, figures=reports.figures(community, day),
                    submitted_by=(workers.get(community.pk) or workers[None])[0])
        for community in communities[:-1]])


def _state(reported, until, today, rng):
    if until < today:
        return rng.choices([State.RELEASED, State.LEFT], weights=[19, 1])[0]
    if reported == today:
        return rng.choice([State.REPORTED, State.VERIFIED])
    return rng.choices([State.UNDER_CONTROL, State.VERIFIED, State.NOT_FOUND], weights=[16, 3, 1])[0]


def _history(screening, rng, today, changes, follow_ups):
    day, previous = screening.reported_on, State.REPORTED
    worker = screening.worker
    for state in PATH[screening.state]:
        day = min(day + timedelta(days=1 if state != State.RELEASED else 0), today)
        if state == State.RELEASED:
            day = screening.closed_on
        at = timezone.make_aware(datetime.combine(day, time(9 + rng.randint(0, 8), rng.randint(0, 59))))
        changes.append(StateChange(screening=screening, from_state=previous, to_state=state, reason=REASONS[state],
                                   by=worker, at=min(at, timezone.now())))
        previous = state
        screening.state_changed_at = changes[-1].at
    if screening.state in (State.NOT_FOUND, State.LEFT):
        return
    last = screening.closed_on or today
    # Most open key persons are followed up today; the rest are the daily report's 未跟进 (不漏一人).
    if screening.state in ACTIVE_STATES and rng.random() < 0.3:
        last -= timedelta(days=rng.choice([1, 1, 2, 3]))
    day = screening.reported_on
    while day <= last:
        follow_ups.append(FollowUp(screening=screening, on=day, by=worker,
                                   temperature=Decimal(f"{rng.gauss(36.5, 0.25):.1f}"), note="电话随访，无异常"))
        day += timedelta(days=1)
    screening.last_follow_up_on = last if last >= screening.reported_on else None
