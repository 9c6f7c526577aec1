"""The gate's hot paths: what they read of a person equals what the ORM reads, and their queries stay few.

The one-tap check-in and the pass-code verify read the person with hand-written SQL (passes.services
.gate_person_sql). A hand-written row mapping once swapped a person's household and area; here every
field the verdict uses is compared with the ORM's own loading of the same rows, over generated persons.
"""

import datetime
import random
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.accounts import tokens
from fangkong.healthcode import passcode
from fangkong.healthcode.models import HealthStatus
from fangkong.healthcode.services import STATUS_COLUMNS, recompute
from fangkong.isolation import services as isolation
from fangkong.isolation.models import Kind
from fangkong.passes import services
from fangkong.passes.models import Declaration, Passage, Proof
from fangkong.people.models import Person
from fangkong.screening import services as screening
from fangkong.screening.models import Category
from fangkong.territory.models import Building, Compound, Household, Unit
from tests.conftest import _person, resident_id
from tests.passes.office_helpers import make_place, passage


def _orm_reading(pk):
    """What the verdict needs of a person, read the ORM's way."""
    person = Person.objects.select_related("household__unit__building").get(pk=pk)
    household = person.household
    compound = household.unit.building.compound_id if household and household.unit_id else None
    latest = Declaration.objects.filter(person_id=pk).order_by("-at").first()
    status = HealthStatus.objects.filter(person_id=pk).first()
    return _reading(person, compound, latest, status)


def _hot_reading(person):
    cached = Person.health_status.related
    status = cached.get_cached_value(person) if cached.is_cached(person) else None
    return _reading(person, person.home_compound_id, person.declared, status)


def _reading(person, compound, declaration, status):
    return {
        "person": (person.pk, person.name, person.household_id, person.area_id),
        "compound": compound,
        "declaration": None if declaration is None else (
            declaration.pk, declaration.at, declaration.visited_risk_area, declaration.has_symptoms,
            declaration.had_contact),
        "status": None if status is None else {column: getattr(status, column) for column in STATUS_COLUMNS},
    }


@pytest.fixture
def generated_persons(district, users):
    """Forty persons with every shape the gate meets: no household, a household outside any compound, one in
    each of two compounds; none to three declarations; with and without a health-code row."""
    rng = random.Random(20200127)
    other = Compound.objects.create(area=district.community_a, name="锦绣园", address="文化路20号")
    other_unit = Unit.objects.create(building=Building.objects.create(compound=other, name="3号楼"), name="1单元")
    other_home = Household.objects.create(area=district.community_a, unit=other_unit, room="201", address="锦绣园201")
    homes = [None, district.household_b, district.household_a101, district.household_a2_101, other_home]
    areas = [district.community_a, district.community_b, district.community_c]
    now = timezone.now()
    persons = []
    for index in range(40):
        person = _person(f"测试{'甲乙丙丁戊己庚辛'[index % 8]}{index}", resident_id("1970-01-01", index),
                         rng.choice(areas), rng.choice(homes))
        for minutes in rng.sample(range(1, 5000), rng.randrange(4)):
            at = now - datetime.timedelta(minutes=minutes)
            Declaration.objects.create(person=person, consent_version="test", at=at,
                                       visited_risk_area=rng.random() < 0.3, has_symptoms=rng.random() < 0.3,
                                       had_contact=rng.random() < 0.3)
        if rng.random() < 0.2:  # under isolation: the status row carries the kind
            isolation.order_isolation(person, kind=rng.choice(Kind.values), user=users.admin, reason="密切接触者")
        if rng.random() < 0.3:
            screening.open_screening(person, Category.objects.get(code=rng.choice(["close_contact", "fever"])),
                                     user=users.admin)
        persons.append(person)
    recompute([p.pk for p in persons if p.pk % 3])  # a third keep no status row
    return persons


def test_the_pass_code_path_reads_every_person_as_the_orm_does(generated_persons):
    for person in generated_persons:
        assert _hot_reading(passcode._person_for_gate(person.pk)) == _orm_reading(person.pk), person.pk


def test_the_one_tap_path_reads_every_person_on_a_phone_as_the_orm_does(generated_persons):
    device = None
    for person in generated_persons:
        device = services.add_to_device(device, person, "家人", proof=Proof.SMS)
    _device, members = services.device_members(services.device_cookie(device))
    assert [m.person_id for m in members] == [p.pk for p in generated_persons]
    for member in members:
        assert _hot_reading(member.person) == _orm_reading(member.person_id), member.person_id


# Query counts ------------------------------------------------------------------------------------

@pytest.fixture
def gate(district):
    return make_place(district.community_a, "幸福里小区北门", compound=district.compound_a, measures_temperature=False)


@pytest.fixture
def declared(district):
    person = district.person_a
    Declaration.objects.create(person=person, consent_version="test", visited_risk_area=False, has_symptoms=False,
                               had_contact=False)
    recompute([person.pk])
    return person


def test_a_one_tap_check_in_reads_the_phone_once_and_inserts_once(gate, declared, django_assert_num_queries):
    phone = Client()
    device = services.add_to_device(None, declared, "本人", proof=Proof.SMS)
    phone.cookies[services.DEVICE_COOKIE] = services.device_cookie(device)

    def tap():
        return phone.post(f"/c/{gate.code}/pass", {"person": [declared.pk], "direction": "in",
                                                   "token": uuid.uuid4().hex})

    tap()  # the place, the rules and the policies are cached from here on
    with django_assert_num_queries(2):  # the phone's people with their facts, the passage
        assert tap().status_code == 200
    assert Passage.objects.filter(person=declared).count() == 2


def test_a_pass_code_verify_reads_the_person_once_and_inserts_once(gate, declared, guard,
                                                                    django_assert_num_queries):
    api = Client(headers={"Authorization": f"Token {tokens.issue(guard, verified=False)[1]}"})

    def verify():
        return api.post("/api/pass-codes/verify/", {"code": passcode.issue(declared).token, "place": gate.pk},
                        content_type="application/json")

    verify()  # the token's user, the place and the guard's post are cached from here on
    with django_assert_num_queries(2):  # the person with their facts, the passage
        response = verify()
    assert response.status_code == 200, response.content


def test_an_api_passage_for_a_known_person_stays_within_its_queries(gate, declared, guard,
                                                                     django_assert_num_queries):
    api = Client(headers={"Authorization": f"Token {tokens.issue(guard, verified=False)[1]}"})
    passage(declared, gate, at=timezone.now() - datetime.timedelta(hours=1))  # on the guard's station: nameable

    def record():
        return api.post("/api/passages/", {"person": declared.pk, "place": gate.pk}, content_type="application/json",
                        headers={"Idempotency-Key": uuid.uuid4().hex})

    record()
    with django_assert_num_queries(PASSAGE_API_QUERIES):
        response = record()
    assert response.status_code == 201, response.content


# The API's recorded passage: the caller's permissions (2), roles and area, the place and the person in scope,
# the savepoint pair, the replay check, the passage and its audit row, the masked identity number for the answer
# (the person's read carries the latest declaration, the status row and the risk zone: passes.services.gate_person_in).
PASSAGE_API_QUERIES = 12
