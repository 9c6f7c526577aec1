"""Tracing in the demo district: one case whose passages over the last days cross a few companions at a market,
the government compound and their own compound gate; a trace opened on them, contacts found and partly judged
(密接 / 次密接 / 排除 with notes), two close contacts acted on (screening + isolation), and the case's places
made risk places, so every tracing page has something to show. Through the services (audited), once."""

import datetime
import uuid
from decimal import Decimal

from django.utils import timezone

from fangkong.isolation.models import IsolationOrder, Kind
from fangkong.passes.models import Channel, Direction, Passage, Place, PlaceKind, PlaceState, Verdict
from fangkong.people.models import Person
from fangkong.screening.models import Category

from . import services
from .models import Mark, Trace

# (days ago, hour, minutes the case stayed, place kind): the case's stays, each crossed by companions.
STAYS = [(5, 9, 50, PlaceKind.VENUE), (4, 14, 120, PlaceKind.ORGANISATION), (2, 18, 20, PlaceKind.COMPOUND_GATE)]
COMPANIONS_PER_STAY = 3


def _passage(person_id, place, at, direction):
    # Written as the passes demo writes its history: a normal temperature, allowed, at an approved place.
    return Passage(person_id=person_id, place=place, area_id=place.area_id, direction=direction, at=at,
                   temperature=Decimal("36.5") if place.measures_temperature else None, verdict=Verdict.ALLOW,
                   reasons=[], channel=Channel.SCAN, idempotency_key=uuid.uuid4().hex)


def build(district, rng, users):
    if Trace.objects.in_area(district).exists():
        return
    admin = next(u for u, role in users if role == "district_admin")
    community = next(u for u, role in users if role == "community_worker").area
    free = list(Person.objects.in_area(community).in_ledger().filter(household__isnull=False)
                .exclude(pk__in=IsolationOrder.objects.values("person_id")).order_by("pk")
                .values_list("pk", flat=True)[:400])
    wanted = 1 + COMPANIONS_PER_STAY * len(STAYS)
    if len(free) < wanted:
        return
    case_id, *companions = rng.sample(free, wanted)
    now = timezone.now()
    today = timezone.localdate(now)
    rows, places = [], []
    for days, hour, minutes, kind in STAYS:
        place = (Place.objects.in_area(community).filter(kind=kind, state=PlaceState.APPROVED).first()
                 or Place.objects.in_area(district).filter(kind=kind, state=PlaceState.APPROVED).first())
        if place is None:
            continue
        places.append(place)
        start = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=days),
                                                              datetime.time(hour, rng.randint(0, 20))))
        rows += [_passage(case_id, place, start, Direction.IN),
                 _passage(case_id, place, start + datetime.timedelta(minutes=minutes), Direction.OUT)]
        # Companions arrive a little before or after the case and stay a while: ranked by how long they overlapped.
        for n in range(COMPANIONS_PER_STAY):
            person_id = companions.pop()
            arrive = start + datetime.timedelta(minutes=rng.randint(-15, minutes // 2))
            rows += [_passage(person_id, place, arrive, Direction.IN),
                     _passage(person_id, place, arrive + datetime.timedelta(minutes=10 + 25 * n), Direction.OUT)]
    if not places:
        return
    Passage.objects.bulk_create(rows)
    case = Person.objects.get(pk=case_id)
    trace = services.open_trace(case, today - datetime.timedelta(days=1), user=admin,
                                note="发热门诊报告核酸阳性，已转定点医院", now=now)
    contacts = services.contacts_of(trace)
    co_located = [c for c in contacts if c.kind == "co_location"]
    notes = [(Mark.CLOSE, "同一时段在场，未佩戴口罩"), (Mark.CLOSE, "与病例同行，交谈约十分钟"),
             (Mark.SECONDARY, "与密接者同车往返"), (Mark.NOT_CONTACT, "经核实当时在门外排队，未进入")]
    for contact, (mark, note) in zip(co_located, notes, strict=False):
        services.mark_contact(contact, mark, note=note, user=admin)
    close = [c.person_id for c in co_located[:2]]
    category = (Category.objects.filter(active=True, name__contains="密接").order_by("position").first()
                or Category.objects.filter(active=True).order_by("position").first())
    if close and category is not None:
        services.act(trace, close, category=category, isolation_kind=Kind.CENTRALIZED, user=admin)
