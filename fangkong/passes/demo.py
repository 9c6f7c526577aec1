"""Places and passages for the demo district, shaped like the district reports.

山阳区 reported 927 registered checkpoint units, 713 of them producing records, and 95,482
entry/exit records in the first weeks, 7,211 of them at the government compound. The district-size
demo reproduces those figures; the small demo keeps their proportions.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel, Compound

from .models import (
    Channel,
    Declaration,
    Direction,
    DutyShift,
    Passage,
    PassPolicy,
    Place,
    PlaceKind,
    PlaceState,
    Verdict,
)
from .verdict import FEVER

FIGURES = {
    # places, places with passages, passages, passages at the government compound
    "small": (40, 31, 4_000, 300),
    "district": (927, 713, 95_482, 7_211),
}
VENUES = [("超市", PlaceKind.VENUE), ("农贸市场", PlaceKind.VENUE), ("药店", PlaceKind.VENUE),
          ("社区卫生服务站", PlaceKind.ORGANISATION), ("便民服务中心", PlaceKind.ORGANISATION),
          ("物流园", PlaceKind.ENTERPRISE_GATE), ("食品厂", PlaceKind.ENTERPRISE_GATE),
          ("卡点", PlaceKind.CHECKPOINT)]
DAYS = 21
# 来访人员: people from elsewhere who declared at a place code, waiting for a worker's confirmation.
VISITORS = {"small": 12, "district": 300}
VISITOR_REGION = "410998"  # belongs to no county, like the residents' 410999, and never equal to theirs
VISITOR_NAMES = ["周明", "吴海燕", "郑国强", "冯丽娟", "陈志刚", "褚红梅", "卫建军", "蒋晓东", "沈玉兰", "韩立新"]
VISITOR_ADDRESSES = ["郑州市金水区花园路8号", "洛阳市西工区中州路9号", "开封市龙亭区西门大街12号",
                     "新乡市红旗区平原路3号"]
LIVE_PASSAGES = 12  # at the demo guard's post in the last hour


def build(district: Area, size: str, rng, checkpoint_user=None):
    """Create the places and passages once; a district that already has places is left alone."""
    if Place.objects.in_area(district).exists():
        return
    total, active, passages, at_government = FIGURES[size]
    now = timezone.now()
    government = Place.objects.create(
        area=district, name=f"{district.name}政府大院", kind=PlaceKind.ORGANISATION, address="人民路1号",
        contact_name="值班室", state=PlaceState.APPROVED, records_exit=True, policy=PassPolicy.STRICT,
        decided_at=now - timedelta(days=DAYS + 3))
    places = [government] + _places(district, total - 1, rng, now)
    # A place applied before it was approved, and its code opened gates from then on (the model fills both
    # with the time of creation).
    Place.objects.filter(pk__in=[p.pk for p in places]).update(
        applied_at=F("decided_at") - timedelta(days=2, hours=3), code_issued_at=F("decided_at"))
    if checkpoint_user is not None:
        post = next(p for p in places if p.area_id == checkpoint_user.area_id)
        post.staff.add(checkpoint_user)
        start = timezone.localtime(now).replace(hour=8, minute=0, second=0, microsecond=0)
        DutyShift.objects.create(place=post, user=checkpoint_user, starts_at=start - timedelta(hours=8),
                                 ends_at=start + timedelta(hours=16), duty="测温、扫码核验")
    persons = list(Person.objects.in_area(district).in_ledger().values_list("pk", "area_id"))
    _declarations(persons, rng, now)
    persons += _visitors(places, VISITORS[size], rng, now)
    busy = [government] + rng.sample(places[1:], active - 1)
    live = []
    if checkpoint_user is not None:  # the guard's post has been busy this last hour: the station is live
        if post not in busy:
            busy[-1] = post
        live = [_passage(post, rng.choice(persons)[0], rng, now - timedelta(minutes=minutes), exact=True)
                for minutes in rng.sample(range(1, 60), LIVE_PASSAGES)]
    weights = [rng.paretovariate(1.2) for _ in busy[1:]]
    rows = live + [_passage(government, rng.choice(persons)[0], rng, now) for _ in range(at_government)]
    spread = passages - at_government - (active - 1) - len(live)  # every busy place has at least one
    for place in rng.choices(busy[1:], weights=weights, k=spread) + busy[1:]:
        rows.append(_passage(place, rng.choice(persons)[0], rng, now))
    Passage.objects.bulk_create(rows, batch_size=5000)


def _places(district, count, rng, now):
    communities = list(Area.objects.subtree(district).filter(level=AreaLevel.COMMUNITY).order_by("path"))
    compounds = list(Compound.objects.in_area(district).select_related("area"))
    places = []
    for compound in compounds:
        for gate in ("北门", "南门"):
            places.append(Place(area=compound.area, compound=compound, grid=compound.grid,
                                name=f"{compound.name}{gate}", kind=PlaceKind.COMPOUND_GATE,
                                address=compound.address, contact_name="门岗", records_exit=True,
                                policy=PassPolicy.RESIDENTS))
    n = 0
    while len(places) < count:
        community = communities[n % len(communities)]
        label, kind = VENUES[(n // len(communities)) % len(VENUES)]
        base = community.name.removesuffix("社区")
        places.append(Place(area=community, name=f"{base}{label}" if n < len(communities) * len(VENUES)
                            else f"{base}{label}{n // (len(communities) * len(VENUES)) + 1}号",
                            kind=kind, address=f"{community.name}", contact_name="负责人",
                            measures_temperature=kind != PlaceKind.CHECKPOINT or rng.random() < 0.5))
        n += 1
    places = places[:count]
    for place in places:
        place.state = PlaceState.APPROVED
        place.decided_at = now - timedelta(days=DAYS + rng.randint(0, 5))
        place.set_contact_phone(f"1990001{rng.randint(0, 9999):04d}")
    return Place.objects.bulk_create(places, batch_size=2000)


def _declarations(persons, rng, now):
    rows = []
    for pk, _area in persons:
        risky = rng.random()
        rows.append(Declaration(person_id=pk, at=now - timedelta(days=DAYS + 1, minutes=rng.randint(0, 9000)),
                                visited_risk_area=risky < 0.01, has_symptoms=0.01 <= risky < 0.013,
                                had_contact=False, consent_version="2026-11"))
    Declaration.objects.bulk_create(rows, batch_size=5000)


def _visitors(places, count, rng, now):
    """Visitors who declared at a place code, through the service a scan uses: [(person id, area id)]."""
    from fangkong.core.identity import DocumentType, resident_id_check_char
    from fangkong.people import services as people

    from .services import CONSENT_VERSION, home_area

    found = []
    for n in range(count):
        place = rng.choice(places)
        first17 = f"{VISITOR_REGION}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n:03d}"
        declarant = people.declare_identity(name=rng.choice(VISITOR_NAMES), id_type=DocumentType.RESIDENT_ID,
                                            id_number=first17 + resident_id_check_char(first17), phone="",
                                            area=home_area(place))
        Declaration.objects.create(person=declarant.person, place=place, name=declarant.name,
                                   address=rng.choice(VISITOR_ADDRESSES), consent_version=CONSENT_VERSION,
                                   at=now - timedelta(days=rng.randint(0, DAYS - 1)),
                                   visited_risk_area=False, has_symptoms=False, had_contact=False)
        found.append((declarant.person.pk, declarant.person.area_id))
    return found


def _passage(place, person_id, rng, now, exact=False):
    """A passage at a random time of the last DAYS days (or at `now` itself when `exact`)."""
    # Morning and evening peaks, as at a compound gate.
    weights = [1, 1, 1, 1, 1, 2, 5, 12, 14, 8, 6, 6, 8, 6, 5, 5, 6, 9, 12, 9, 6, 4, 2, 1]
    hour = rng.choices(range(24), weights=weights)[0]
    at = now if exact else timezone.localtime(now - timedelta(days=rng.randint(0, DAYS - 1))).replace(
        hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))
    if at > now:
        at -= timedelta(days=1)
    temperature = Decimal(f"{rng.gauss(36.5, 0.3):.1f}") if place.measures_temperature else None
    verdict, reasons = Verdict.ALLOW, []
    if temperature is not None and temperature >= FEVER:
        verdict, reasons = Verdict.DENY, [f"体温 {temperature}℃ 偏高，请到临时留观点复测"]
    elif place.policy == PassPolicy.RESIDENTS and rng.random() < 0.06:
        verdict, reasons = Verdict.WARN, ["非本小区住户，请核实登记"]
    direction = Direction.OUT if place.records_exit and rng.random() < 0.45 else Direction.IN
    return Passage(person_id=person_id, place=place, area_id=place.area_id, direction=direction, at=at,
                   temperature=temperature, verdict=verdict, reasons=reasons, channel=Channel.SCAN,
                   idempotency_key=uuid.uuid4().hex)


def give_enterprise_gates(user):
    """The demo's enterprise admin looks after the enterprise gates of its community (again on a rerun: no-op)."""
    for place in Place.objects.filter(area_id=user.area_id, kind=PlaceKind.ENTERPRISE_GATE):
        place.managers.add(user)
