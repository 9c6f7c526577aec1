"""The gate verdict matrix: every fact that can change a verdict, through every channel that applies it.

Each test sets one fact up for a person at 幸福里小区北门 (a residents-only gate of 幸福里小区), then lets the
person pass through each channel the way people do it: the resident's first scan with a declaration, a
one-tap scan, a family member's tap on the same phone, the station's assisted registration, the station
scanning a pass code and a printed card, and the API (a passage, a pass-code verify). Every written passage
must carry the verdict the fact calls for and the same verdict and reasons as `gate_verdict` on the person
loaded in full by the ORM. A fact that must stop a channel (a suspended code, an impossible temperature)
must write nothing on any channel.

New facts (isolation orders, risk zones, risk places) join FACTS; new channels join CHANNELS.
The tests run with real commits (transactional): a declaration or screening recomputes the health code
when it commits, as it does in production, and the channels must see that.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.accounts import tokens
from fangkong.accounts.roles import Role
from fangkong.enterprises.models import Employee, Enterprise, EnterpriseGate
from fangkong.enterprises.models import State as EnterpriseState
from fangkong.healthcode import passcode
from fangkong.healthcode.models import PlacePolicy
from fangkong.healthcode.services import recompute
from fangkong.isolation import services as isolation
from fangkong.isolation.models import IsolationOrder, Kind
from fangkong.passes import services
from fangkong.passes.models import (
    Channel,
    Declaration,
    Direction,
    Passage,
    PassPolicy,
    Place,
    PlaceKind,
    PlaceState,
    Proof,
    Verdict,
)
from fangkong.passes.verdict import gate_verdict
from fangkong.people.models import Person, Residency
from fangkong.screening import services as screening
from fangkong.screening.models import Category
from fangkong.territory.models import Building, Compound, Household, Unit
from fangkong.tracing import services as tracing
from fangkong.zones import services as zones
from fangkong.zones.models import OutRule, PassKind, ZoneKind
from tests.conftest import _person, make_user, resident_id
from tests.healthcode.helpers import EXTRA_FACTS, add_fact
from tests.isolation.conftest import negative_results_at
from tests.passes.office_helpers import make_place

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "refused"  # the channel writes nothing
NO = {"visited_risk_area": False, "has_symptoms": False, "had_contact": False}


@dataclass
class World:
    district: object
    gate: Place
    guard: object
    admin: object
    api_token: str
    companion: Person  # the first person on the family phone: always fine


@dataclass
class Case:
    person: Person
    expected: str  # a Verdict or REFUSED
    reason: str = ""  # a phrase the reasons must contain
    temperature: str | None = None
    answers: dict | None = field(default_factory=lambda: dict(NO))  # None: the person never declared


# Channels ----------------------------------------------------------------------------------------

def _yes_no(answers):
    return {key: "yes" if value else "no" for key, value in answers.items()}


def _temperature(world, case):
    return {"temperature": case.temperature} if case.temperature is not None else {}


def first_scan(world, case):
    """A phone that has never scanned: the declaration form, then 提交并通行."""
    data = {"label": "本人", "name": case.person.name, "id_type": "resident_id", "id_number": case.person.id_number,
            "phone": "", "address": "", "consent": "on", "token": uuid.uuid4().hex, **_yes_no(case.answers)}
    if world.gate.measures_temperature:
        data.update(_temperature(world, case))
    Client().post(f"/c/{world.gate.code}/declare", data)


def _phone_with(*persons):
    device = None
    for index, person in enumerate(persons):
        device = services.add_to_device(device, person, "本人" if index == 0 else "母亲", proof=Proof.SMS)
    client = Client()
    client.cookies[services.DEVICE_COOKIE] = services.device_cookie(device)
    return client


def _tap(world, case, client, persons):
    client.post(f"/c/{world.gate.code}/pass", {"person": [p.pk for p in persons], "direction": "in",
                                                "token": uuid.uuid4().hex, **_temperature(world, case)})


def one_tap(world, case):
    """A phone that declared before: the person's button and 入."""
    _tap(world, case, _phone_with(case.person), [case.person])


def family_tap(world, case):
    """The person is a family member registered on someone else's phone; both pass with one tap."""
    _tap(world, case, _phone_with(world.companion, case.person), [world.companion, case.person])


def _station(world):
    client = Client()
    client.force_login(world.guard)
    return client


def station_assist(world, case):
    """代登记: the guard types the number and name and asks the three questions."""
    _station(world).post(f"/station/{world.gate.pk}/assist/", {
        "id_type": "resident_id", "id_number": case.person.id_number, "name": case.person.name, "phone": "",
        "direction": "in", "consent": "on", "token": uuid.uuid4().hex, **_yes_no(case.answers),
        **_temperature(world, case)})


def station_vehicle(world, case):
    """车辆登记: the person drives through a checkpoint; the guard types their number and name."""
    _station(world).post(f"/station/{world.gate.pk}/vehicle/", {
        "plate": "豫A12345", "direction": "in", "o0_id_number": case.person.id_number, "o0_name": case.person.name,
        "o0_temperature": case.temperature or "", "consent": "on", "token": uuid.uuid4().hex,
        **_yes_no(case.answers)})


def station_pass_code(world, case):
    """The guard's camera reads the pass code on the resident's phone."""
    code = passcode.issue(case.person).token
    _station(world).post(f"/station/{world.gate.pk}/pass-code/", {
        "code": code, "direction": "in", "token": uuid.uuid4().hex, **_temperature(world, case)})


def station_card(world, case):
    """The guard scans the printed pass card of a resident without a phone."""
    card = passcode.issue_card(case.person, user=world.admin)
    _station(world).post(f"/station/{world.gate.pk}/pass-code/", {
        "code": passcode.card_code(card), "direction": "in", "token": uuid.uuid4().hex,
        **_temperature(world, case)})


def station_card_number(world, case):
    """The card's QR code does not read: the guard types the number printed on it."""
    card = passcode.issue_card(case.person, user=world.admin)
    _station(world).post(f"/station/{world.gate.pk}/pass-code/", {
        "code": passcode.card_number_grouped(card), "direction": "in", "token": uuid.uuid4().hex,
        **_temperature(world, case)})


def _api():
    return Client()


def api_passage(world, case):
    """A checkpoint's own app records a passage for a known person, with the answers it asked."""
    body = {"person": case.person.pk, "place": world.gate.pk, "direction": "in", **_temperature(world, case)}
    if case.answers is not None:
        body.update(case.answers)
    _api().post("/api/passages/", body, content_type="application/json",
                headers={"Authorization": f"Token {world.api_token}", "Idempotency-Key": uuid.uuid4().hex})


def api_pass_code(world, case):
    """A checkpoint's own app verifies a scanned pass code."""
    body = {"code": passcode.issue(case.person).token, "place": world.gate.pk, **_temperature(world, case)}
    _api().post("/api/pass-codes/verify/", body, content_type="application/json",
                headers={"Authorization": f"Token {world.api_token}"})


# Channels that carry the health answers themselves; the others use the person's latest declaration.
ASKING = {first_scan, station_assist, station_vehicle, api_passage}
CHANNELS: list[Callable] = [first_scan, one_tap, family_tap, station_assist, station_vehicle, station_pass_code,
                            station_card, station_card_number, api_passage, api_pass_code]


# Facts ---------------------------------------------------------------------------------------------

def resident(world):
    return world.district.person_a  # 幸福里小区 1号楼 101


def other_compound_resident(world):
    district = world.district
    compound = Compound.objects.create(area=district.community_a, grid=district.grid_a1, name="锦绣园",
                                       address="文化路20号")
    unit = Unit.objects.create(building=Building.objects.create(compound=compound, name="3号楼"), name="1单元")
    household = Household.objects.create(area=district.community_a, unit=unit, floor=2, room="201",
                                         address="锦绣园3号楼1单元201")
    return _person("孙红梅", resident_id("1979-04-02"), district.community_a, household)


def without_household(world):
    return _person("周建华", resident_id("1988-09-15"), world.district.community_a)


def visitor(world):
    """Known only from declarations (来访人员): no household, not in the ledger."""
    person = _person("钱文博", resident_id("1992-07-19"), world.district.community_a)
    Person.objects.filter(pk=person.pk).update(residency=Residency.VISITOR)
    return Person.objects.get(pk=person.pk)


def _gate(world, **fields):
    Place.objects.filter(pk=world.gate.pk).update(**fields)
    world.gate.refresh_from_db()
    services.forget_place(instance=world.gate)


def _policy(world, **fields):
    PlacePolicy.objects.create(name="测试政策", place=world.gate, area=world.gate.area, starts_on=timezone.localdate(),
                               created_by=world.admin, **fields)


def _screen(world, person, code):
    screening.open_screening(person, Category.objects.get(code=code), user=world.admin)
    return person


def _fact(person, kind, hours_ago=1):
    add_fact(person, kind, timezone.now() - datetime.timedelta(hours=hours_ago))
    recompute([person.pk])
    return person


def fact_nothing(world):
    return Case(resident(world), Verdict.ALLOW)


def fact_suspended_code(world):
    _gate(world, state=PlaceState.SUSPENDED)
    return Case(resident(world), REFUSED)


def fact_normal_temperature(world):
    _gate(world, measures_temperature=True)
    return Case(resident(world), Verdict.ALLOW, temperature="36.6")


def fact_fever(world):
    _gate(world, measures_temperature=True)
    return Case(resident(world), Verdict.DENY, "体温 38.2℃ 偏高", temperature="38.2")


def fact_temperature_not_taken(world):
    _gate(world, measures_temperature=True)
    return Case(resident(world), Verdict.WARN, "未测体温")


def fact_impossible_temperature(world):
    _gate(world, measures_temperature=True)
    return Case(resident(world), REFUSED, temperature="45.0")


def fact_never_declared(world):
    return Case(resident(world), Verdict.DENY, "没有健康申报", answers=None)


def fact_declared_symptoms(world):
    return Case(resident(world), Verdict.DENY, "申报有发热、咳嗽等症状", answers={**NO, "has_symptoms": True})


def fact_declared_symptoms_then_no_from_any_phone(world):
    """A yes raised the colour an hour ago; the "no" each channel now declares does not lower it (issue 14)."""
    person = resident(world)
    Declaration.objects.create(person=person, consent_version="test", at=timezone.now() - datetime.timedelta(hours=1),
                               **{**NO, "has_symptoms": True})
    recompute([person.pk])
    return Case(person, Verdict.WARN, "申报有发热、咳嗽等症状")


def fact_declared_contact(world):
    return Case(resident(world), Verdict.DENY, "申报接触过确诊或疑似人员", answers={**NO, "had_contact": True})


def fact_declared_risk_area(world):
    return Case(resident(world), Verdict.WARN, "申报14天内去过中高风险地区", answers={**NO, "visited_risk_area": True})


def fact_declared_risk_area_at_a_strict_place(world):
    _gate(world, policy=PassPolicy.STRICT)
    return Case(resident(world), Verdict.DENY, "申报14天内去过中高风险地区", answers={**NO, "visited_risk_area": True})


def fact_residents_only_resident(world):
    _gate(world, policy=PassPolicy.RESIDENTS)
    return Case(resident(world), Verdict.ALLOW)


def fact_residents_only_other_compound(world):
    _gate(world, policy=PassPolicy.RESIDENTS)
    return Case(other_compound_resident(world), Verdict.WARN, "非本小区住户")


def fact_residents_only_no_household(world):
    _gate(world, policy=PassPolicy.RESIDENTS)
    return Case(without_household(world), Verdict.WARN, "非本小区住户")


def fact_residents_only_visitor(world):
    _gate(world, policy=PassPolicy.RESIDENTS)
    return Case(visitor(world), Verdict.WARN, "非本小区住户")


def fact_visitor_at_an_open_gate(world):
    return Case(visitor(world), Verdict.ALLOW)


def fact_key_person_deny_category(world):
    return Case(_screen(world, resident(world), "return_abroad"), Verdict.DENY, "入境人员")


def fact_key_person_deny_category_coloured_yellow(world):
    # 中高风险地区来返人员: the category denies, a rule colours it yellow (a warning by itself).
    return Case(_screen(world, resident(world), "return_risk_area"), Verdict.DENY, "管控期间不能通行")


def fact_key_person_warn_category(world):
    return Case(_screen(world, resident(world), "return_province"), Verdict.WARN, "省外返回人员")


def fact_key_person_category_without_effect(world):
    return Case(_screen(world, resident(world), "cold_chain"), Verdict.ALLOW)


def fact_red_code(world):
    return Case(_fact(resident(world), "test:positive"), Verdict.DENY, "红码")


def fact_yellow_code(world):
    return Case(_fact(resident(world), "test:pool_positive"), Verdict.WARN, "黄码")


def fact_yellow_code_where_green_is_required(world):
    _policy(world)
    return Case(_fact(resident(world), "test:pool_positive"), Verdict.DENY, "黄码")


def fact_negative_test_within_policy(world):
    _policy(world, test_within_hours=24)
    return Case(_fact(resident(world), "test:negative", hours_ago=10), Verdict.ALLOW)


def fact_negative_test_too_old(world):
    _policy(world, test_within_hours=24)
    return Case(_fact(resident(world), "test:negative", hours_ago=30), Verdict.DENY, "无 24 小时内核酸阴性证明")


def fact_no_test_where_one_is_required(world):
    _policy(world, test_within_hours=48)
    return Case(resident(world), Verdict.DENY, "无 48 小时内核酸阴性证明")


def fact_sealed_zone(world):
    _policy(world, colour="any", no_sealed_zone=True)
    return Case(_fact(resident(world), "zone:sealed"), Verdict.DENY, "封控区人员")


def _isolate(world, person, kind, start_days_ago=0):
    isolation.order_isolation(person, kind=kind, user=world.admin, reason="密切接触者",
                              start=timezone.localdate() - datetime.timedelta(days=start_days_ago))
    return person


def fact_home_isolation(world):
    return Case(_isolate(world, resident(world), Kind.HOME), Verdict.DENY, "隔离管控（居家隔离）")


def fact_centralized_isolation(world):
    return Case(_isolate(world, resident(world), Kind.CENTRALIZED, 2), Verdict.DENY, "隔离管控（集中隔离）")


def fact_home_health_monitoring_at_an_open_gate(world):
    # A yellow code only warns at this gate; the isolation still denies, and says so.
    _policy(world, colour="any")
    return Case(_isolate(world, resident(world), Kind.HOME_MONITORING), Verdict.DENY, "隔离管控（居家健康监测）")


def fact_isolation_ordered_for_a_later_day(world):
    person = resident(world)
    isolation.order_isolation(person, kind=Kind.HOME, user=world.admin, reason="入境人员",
                              start=timezone.localdate() + datetime.timedelta(days=2))
    return Case(person, Verdict.ALLOW)


def fact_isolation_released(world):
    person = _isolate(world, resident(world), Kind.HOME, 15)
    negative_results_at(world.district, world.admin)(person, 0, 1)  # the tests a release asks for are in
    order = IsolationOrder.objects.get(person=person)
    isolation.request_release(order, user=world.admin)
    return Case(person, Verdict.ALLOW)


def _zone(world, kind, days_ago=0, **fields):
    """A zone over 幸福里小区 (the resident's compound), started `days_ago` days ago."""
    return zones.create_zone(user=world.admin, kind=kind, name="幸福里小区", reason="发现1例阳性感染者",
                             compounds=[world.district.compound_a.pk],
                             started_at=timezone.now() - datetime.timedelta(days=days_ago), **fields)


def _elsewhere(world):
    """The gate belongs to another compound: leaving one's own."""
    _gate(world, compound=other_compound_resident(world).household.unit.building.compound)


def fact_sealed_risk_zone(world):
    _zone(world, ZoneKind.SEALED)
    return Case(resident(world), Verdict.DENY, "封控区（幸福里小区）：发现1例阳性感染者。封控期间足不出户")


def fact_sealed_risk_zone_at_another_compound(world):
    _zone(world, ZoneKind.SEALED)
    _elsewhere(world)
    return Case(resident(world), Verdict.DENY, "封控期间足不出户")


def fact_controlled_zone_inside_the_compound(world):
    _zone(world, ZoneKind.CONTROLLED)
    return Case(resident(world), Verdict.ALLOW)


def fact_controlled_zone_leaving_the_compound(world):
    _zone(world, ZoneKind.CONTROLLED)
    _elsewhere(world)
    return Case(resident(world), Verdict.DENY, "管控区（幸福里小区）：发现1例阳性感染者。管控期间不出小区")


def _turn(world, on_day):
    """Days since the zone's start that make today the household's day (or not) under 每户每2天."""
    household = world.district.household_a101.pk
    return household % 2 if on_day else (household + 1) % 2


def fact_precaution_zone_on_the_household_day(world):
    _zone(world, ZoneKind.PRECAUTION, days_ago=_turn(world, True), out_rule=OutRule.EVERY_N_DAYS, out_every_days=2)
    _elsewhere(world)
    return Case(resident(world), Verdict.ALLOW)


def fact_precaution_zone_off_the_household_day(world):
    _zone(world, ZoneKind.PRECAUTION, days_ago=_turn(world, False), out_rule=OutRule.EVERY_N_DAYS, out_every_days=2)
    _elsewhere(world)
    return Case(resident(world), Verdict.DENY, "今日不可出行，下次可出行日")


def fact_precaution_zone_a_family_member_went_out_today(world):
    """每户每次限一人: on the household's day, another member of it passed a place outside the compound."""
    _zone(world, ZoneKind.PRECAUTION, days_ago=_turn(world, True), out_rule=OutRule.EVERY_N_DAYS, out_every_days=2)
    _elsewhere(world)
    member = _person("王小明", resident_id("1988-02-14"), world.district.community_a, world.district.household_a101)
    Declaration.objects.create(person=member, consent_version="test", **NO)
    went = services.record_passage(member, world.gate, channel=Channel.ASSISTED, idempotency_key=uuid.uuid4().hex)
    assert went.verdict == Verdict.ALLOW
    return Case(resident(world), Verdict.DENY, "本户今日已有家人外出")


def fact_precaution_zone_inside_the_compound_off_day(world):
    _zone(world, ZoneKind.PRECAUTION, days_ago=_turn(world, False), out_rule=OutRule.EVERY_N_DAYS, out_every_days=2)
    return Case(resident(world), Verdict.ALLOW)


def fact_sealed_zone_with_an_exception_pass(world):
    _zone(world, ZoneKind.SEALED)
    now = timezone.now()
    zones.grant_pass(resident(world), user=world.admin, kind=PassKind.DIALYSIS, reason="每周二、五透析",
                     starts_at=now - datetime.timedelta(hours=1), ends_at=now + datetime.timedelta(hours=6))
    return Case(resident(world), Verdict.ALLOW, "例外通行（透析）")


def fact_sealed_zone_with_an_expired_exception_pass(world):
    _zone(world, ZoneKind.SEALED)
    now = timezone.now()
    zones.grant_pass(resident(world), user=world.admin, kind=PassKind.MEDICAL, reason="就医",
                     starts_at=now - datetime.timedelta(hours=8), ends_at=now - datetime.timedelta(hours=1))
    return Case(resident(world), Verdict.DENY, "封控期间足不出户")


def fact_sealed_zone_eased_to_controlled(world):
    zone = _zone(world, ZoneKind.SEALED)
    zones.change_kind(zone, user=world.admin, kind=ZoneKind.CONTROLLED, reason="连续3轮阴性")
    _elsewhere(world)
    return Case(resident(world), Verdict.DENY, "管控期间不出小区")


def fact_sealed_zone_lifted(world):
    zone = _zone(world, ZoneKind.SEALED)
    zones.lift(zone, user=world.admin, reason="14天无新增，连续3轮阴性")
    return Case(resident(world), Verdict.ALLOW)
def _enterprise_gate(world, person, **fields):
    """The gate is also the gate of an enterprise (一区一码 of 复工复产) that employs `person`."""
    enterprise = Enterprise.objects.create(name="幸福里食品厂", credit_code="91350100M000100Y43",
                                           area=world.gate.area, **fields)
    EnterpriseGate.objects.create(place=world.gate, enterprise=enterprise)
    if person is not None:
        Employee.objects.create(enterprise=enterprise, person=person)
    services.forget_place(instance=world.gate)
    return person


def fact_employee_before_the_reopening_is_approved(world):
    return Case(_enterprise_gate(world, resident(world)), Verdict.DENY, "尚未批准复工")


def fact_employee_after_the_reopening_is_approved(world):
    return Case(_enterprise_gate(world, resident(world), state=EnterpriseState.APPROVED), Verdict.ALLOW)


def fact_visitor_at_the_gate_of_an_enterprise_not_yet_reopened(world):
    _enterprise_gate(world, None)
    return Case(resident(world), Verdict.ALLOW)


def fact_employee_entering_an_enterprise_in_closed_loop(world):
    # Closed loop keeps employees in: coming in is allowed, going out is not (tests/enterprises).
    return Case(_enterprise_gate(world, resident(world), state=EnterpriseState.APPROVED, closed_loop=True),
                Verdict.ALLOW)


def fact_temperature_required_by_policy(world):
    _policy(world, colour="any", require_temperature=True)
    return Case(resident(world), Verdict.DENY, "必须测温")


def _met_a_case(world, *, excluded=False):
    """The resident stayed at the market with a case (李建国) three days ago; the case's trace found her."""
    person, case = resident(world), world.district.person_b
    market = make_place(world.district.community_a, "幸福里菜市场", kind=PlaceKind.VENUE)
    at = timezone.now() - datetime.timedelta(days=3)
    for someone in (case, person):
        for direction, when in ((Direction.IN, at), (Direction.OUT, at + datetime.timedelta(minutes=30))):
            Passage.objects.create(person=someone, place=market, area_id=market.area_id, at=when, direction=direction,
                                   verdict=Verdict.ALLOW, channel=Channel.SCAN, idempotency_key=uuid.uuid4().hex)
    trace = tracing.open_trace(case, timezone.localdate(), user=world.admin)
    if excluded:
        tracing.mark_contact(trace.contacts.get(person=person), "not_contact", note="核实为误扫", user=world.admin)
    return person


def fact_met_a_case_where_the_place_denies_risk_place_visitors(world):
    tracing.set_risk_policy(world.gate, enabled=True, user=world.admin)
    return Case(_met_a_case(world), Verdict.DENY, "时空伴随")


def fact_met_a_case_where_the_place_has_no_risk_policy(world):
    return Case(_met_a_case(world), Verdict.ALLOW)


def fact_met_a_case_but_excluded_by_the_tracer(world):
    tracing.set_risk_policy(world.gate, enabled=True, user=world.admin)
    return Case(_met_a_case(world, excluded=True), Verdict.ALLOW)


FACTS = [value for name, value in list(globals().items()) if name.startswith("fact_")]


# The matrix ----------------------------------------------------------------------------------------

@pytest.fixture
def world(district, users):
    gate = make_place(district.community_a, "幸福里小区北门", compound=district.compound_a, measures_temperature=False)
    guard = make_user("guard_matrix", Role.CHECKPOINT_STAFF, district.community_a, full_name="卡点值守甲")
    gate.staff.add(guard)
    yield World(district=district, gate=gate, guard=guard, admin=users.admin,
                api_token=tokens.issue(guard, verified=False)[1], companion=district.person_a_neighbour)
    EXTRA_FACTS.clear()


def _outcome(world, case, channel):
    """What the channel wrote for the person: (verdict, reasons) and the reference verdict, or REFUSED."""
    before = Passage.objects.filter(person=case.person).count()
    if channel not in ASKING and case.answers is not None:
        Declaration.objects.create(person=case.person, consent_version="test", **case.answers)
    channel(world, case)
    written = list(Passage.objects.filter(person=case.person).order_by("id")[before:])
    if not written:
        return REFUSED, None
    assert len(written) == 1, f"{channel.__name__} wrote {len(written)} passages"
    passage = written[0]
    loaded = Person.objects.get(pk=case.person.pk)
    latest = Declaration.objects.filter(person=loaded).order_by("-at").first()
    reference = gate_verdict(loaded, Place.objects.get(pk=world.gate.pk), passage.at,
                             temperature=passage.temperature, declaration=latest)
    return (passage.verdict, passage.reasons), (reference.verdict, reference.reasons)


@pytest.mark.parametrize("fact", FACTS, ids=[fact.__name__.removeprefix("fact_") for fact in FACTS])
def test_every_channel_gives_the_verdict_the_fact_calls_for(world, fact):
    case = fact(world)
    wrong = []
    for channel in CHANNELS:
        if case.answers is None and channel in ASKING:
            continue  # a channel that asks the questions always leaves a declaration
        written, reference = _outcome(world, case, channel)
        if case.expected == REFUSED:
            if written != REFUSED:
                wrong.append(f"{channel.__name__}: wrote {written}, expected nothing")
            continue
        if written == REFUSED:
            wrong.append(f"{channel.__name__}: wrote nothing, expected {case.expected}")
            continue
        verdict, reasons = written
        if verdict != case.expected or (case.reason and not any(case.reason in reason for reason in reasons)):
            wrong.append(f"{channel.__name__}: {verdict} {reasons}, expected {case.expected} with “{case.reason}”")
        elif written != reference:
            wrong.append(f"{channel.__name__}: {written} but gate_verdict on the loaded person says {reference}")
    assert not wrong, "\n".join(wrong)


def test_the_matrix_covers_every_channel_that_records_a_passage(world):
    """A new kind of channel must join CHANNELS: each channel here writes its own kind, and all kinds are written."""
    case = fact_nothing(world)
    written = set()
    for channel in CHANNELS:
        _outcome(world, case, channel)
        written.add(Passage.objects.filter(person=case.person).latest("id").channel)
    assert written == set(Channel.values)

