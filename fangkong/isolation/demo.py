"""Isolation in the demo district: two sites with rooms, a few dozen orders in every state, monitoring history
with some missed and abnormal entries, and one transfer batch on its way, so each page has something to show.
Built through the services (audited, health codes recomputed), once."""

import datetime
from decimal import Decimal

from django.utils import timezone

from fangkong.people.models import Person

from . import services
from .models import IsolationOrder, Kind, MonitoringTask, Room, State

# (kind, state, days since start, how many)
PLAN = [
    (Kind.HOME, State.ISOLATING, 3, 10), (Kind.HOME_MONITORING, State.ISOLATING, 2, 6),
    (Kind.CENTRALIZED, State.ISOLATING, 5, 10), (Kind.CENTRALIZED, State.ORDERED, -1, 4),
    (Kind.HOME, State.RELEASED, 15, 5), (Kind.CENTRALIZED, State.RELEASED, 14, 3),
    (Kind.CENTRALIZED, State.TRANSFERRED, 4, 2), (Kind.HOME, State.CANCELLED, 1, 2),
]
REASONS = ["密切接触者", "次密切接触者", "入境人员", "中高风险地区来返", "混管阳性待复核"]


def build(district, rng, users):
    if IsolationOrder.objects.in_area(district).exists():
        return
    admin = next(u for u, role in users if role == "district_admin")
    staff = [u for u, role in users if role == "isolation_site_staff"]
    hotel = services.save_site(None, user=admin, name="锦江之星隔离点", area=district, address="中原路88号",
                               phone="0371-66660001")
    school = services.save_site(None, user=admin, name="党校集中隔离点", area=district, address="建设路12号",
                                phone="0371-66660002")
    services.add_rooms(hotel, [f"{floor}{n:02d}" for floor in (2, 3, 4) for n in range(1, 13)], user=admin)
    services.add_rooms(school, [f"{n:03d}" for n in range(101, 121)], capacity=2, user=admin)
    hotel.staff.add(*staff)
    community = next(u for u, role in users if role == "community_worker").area
    workers = {u.area_id: u for u, role in users if role in ("community_worker", "grid_worker")}
    wanted = sum(n for *_rest, n in PLAN)
    ids = list(Person.objects.in_area(community).in_ledger().filter(isolation_orders__isnull=True)
               .values_list("pk", flat=True)[:wanted * 3])
    persons = list(Person.objects.filter(pk__in=rng.sample(ids, min(wanted, len(ids)))).select_related("household"))
    rooms = list(Room.objects.filter(site=hotel).order_by("number"))
    today = timezone.localdate()
    waiting, retests = [], None
    for kind, state, days, count in PLAN:
        for _n in range(count):
            if not persons:
                break
            person = persons.pop()
            user = workers.get(person.area_id, admin)
            order = services.order_isolation(
                person, kind=kind, user=admin, reason=rng.choice(REASONS), start=today - datetime.timedelta(days=days),
                worker=user if user.is_active else None, room=rooms.pop(0) if kind == Kind.CENTRALIZED
                and state != State.ORDERED else None)
            if order.room_id:
                services.check_in(order, user=admin, now=timezone.now() - datetime.timedelta(days=days))
            if state == State.ORDERED:
                waiting.append(order)
            elif state == State.ISOLATING:
                _history(order, days, rng)
            elif state == State.RELEASED:
                _history(order, 3, rng)
                retests = retests or _retest_site(community, admin)
                _negative_results(order, retests, admin)
                services.request_release(order, user=admin)
            else:
                services.change_state(order, state, user=admin, reason="发热，送定点医院" if state == State.TRANSFERRED
                                      else "核实为误报")
    if waiting:
        services.create_transfer(user=admin, from_area=waiting[0].area, to_site=hotel, vehicle="豫A·D2020",
                                 driver="刘师傅", driver_phone="13900001111", departs_at=timezone.now(),
                                 orders=waiting)
    services.open_missed_tasks(today - datetime.timedelta(days=1))
    services.open_missed_tasks(today)
    # Dated as the rounds would have opened them, at their slot's deadline: the board lists the oldest first.
    tasks = list(MonitoringTask.objects.all())
    for task in tasks:
        task.created_at = timezone.make_aware(datetime.datetime.combine(task.day, services.SLOT_DEADLINES[task.slot]))
    MonitoringTask.objects.bulk_update(tasks, ["created_at"])


def _retest_site(community, admin):
    """Where the isolated persons' single-tube retests are sampled: a small campaign of the community's own (not a
    round of the mass testing, whose coverage it would blur)."""
    from fangkong.testing import services as testing
    from fangkong.testing.models import Pooling

    today = timezone.localdate()
    campaign = testing.create_campaign(name="隔离人员解除前核酸检测", area=community, ends_on=today, user=admin,
                                       starts_on=today - datetime.timedelta(days=1), pooling=Pooling.SINGLE)
    return testing.create_site(campaign, name="隔离人员上门采样", area=community, user=admin)


def _negative_results(order, site, admin):
    """The retests before a release: negative, yesterday and an hour ago (a release asks for its kind's count of
    negatives on different days, read from testing)."""
    from fangkong.testing.models import Pooling, Sample, Tube, TubeResult

    now = timezone.now()
    for hours in (25, 1):
        at = now - datetime.timedelta(hours=hours)
        tube = Tube.objects.create(barcode=f"D-J{order.pk:07d}{hours:02d}", campaign=site.campaign, site=site,
                                   pooling=Pooling.SINGLE, pool_size=1, size=1, opened_by=admin, opened_at=at,
                                   sealed_at=at, result=TubeResult.NEGATIVE, result_at=at, lab="区疾控中心实验室")
        Sample.objects.create(tube=tube, person_id=order.person_id, campaign=site.campaign, site=site, sampled_at=at,
                              sampled_by=admin)


def _history(order, days, rng):
    """Two entries a day since the start (a few missed, one in twenty with a fever), today's morning included."""
    now = timezone.localtime()
    for back in range(min(days, 5), -1, -1):
        day = now.date() - datetime.timedelta(days=back)
        for hour in (8, 16):
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, rng.randrange(60))))
            if at > now or rng.random() < 0.08:
                continue
            temperature = Decimal("37.6") if rng.random() < 0.05 else Decimal(f"36.{rng.randrange(1, 9)}")
            services.record_check(order, temperature=temperature, at=at)
