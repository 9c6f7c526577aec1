"""Two registrations of the same new person at the same moment (two phones declaring, a guard and the API): the
second one meets the first's row on the unique document index and must carry on with that person, not answer 500.

These tests run real transactions on separate connections: one registration holds its new row uncommitted, the
other (a real request in a thread) runs until PostgreSQL makes it wait on that row, then the first commits.
"""

import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from fangkong.accounts import tokens
from fangkong.passes.models import Declaration, Passage
from fangkong.people import services as people
from fangkong.people.models import Person
from tests.passes.office_helpers import checkpoint_user, make_place

pytestmark = pytest.mark.django_db(transaction=True)

ANSWERS = {"visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no", "consent": "on"}


def _waiting_on_a_lock(pid) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def race(first, second):
    """Run `first()` in an open transaction on this connection, `second()` in a thread on its own connection;
    commit the first only once the second waits for it on a lock. Returns the second's result."""
    result, pid = {}, {}
    started = threading.Event()

    def run():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid["pid"] = cursor.fetchone()[0]
            started.set()
            result["value"] = second()
        except BaseException as exc:  # reported to the test below
            result["error"] = exc
        finally:
            started.set()
            connections.close_all()

    with transaction.atomic():
        first()
        thread = threading.Thread(target=run)
        thread.start()
        started.wait()
        for _attempt in range(20_000):  # until it waits on our row (a safety stop, not a timing)
            if "pid" not in pid or not thread.is_alive() or _waiting_on_a_lock(pid["pid"]):
                break
            threading.Event().wait(0.005)
        assert thread.is_alive() and _waiting_on_a_lock(pid["pid"]), result
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


@pytest.fixture
def gate(district):
    return make_place(district.community_a, "幸福里小区北门", measures_temperature=False)


def first_registration(district, number, name="刘桂兰"):
    """A guard at another gate registering the same number (with the card in hand)."""
    return lambda: people.register_resident(name=name, id_type="resident_id", id_number=number, phone="",
                                            area=district.community_a, user=None)


def test_two_phones_declaring_one_new_number_at_once_both_pass(district, gate, new_resident_id):
    number = new_resident_id("1958-04-02")
    response = race(first_registration(district, number), lambda: Client().post(f"/c/{gate.code}/declare", {
        "name": "刘桂兰", "id_type": "resident_id", "id_number": number, "phone": "", "address": "",
        "token": uuid.uuid4().hex, **ANSWERS}))
    assert response.status_code == 200 and "可以通行" in response.content.decode()
    person = Person.objects.with_document("resident_id", number).get()
    assert Passage.objects.filter(person=person).count() == 1


def test_a_guard_registering_a_number_being_registered_elsewhere_records_the_passage(
        district, gate, new_resident_id):
    guard = checkpoint_user("guard_race", district.community_a, gate)
    number = new_resident_id("1948-02-03")

    def assist():
        client = Client()
        client.force_login(guard)
        return client.post(f"/station/{gate.pk}/assist/", {
            "id_type": "resident_id", "id_number": number, "name": "刘桂兰", "phone": "", "direction": "in",
            "token": uuid.uuid4().hex, **ANSWERS})

    response = race(first_registration(district, number), assist)
    assert response.status_code == 302
    person = Person.objects.with_document("resident_id", number).get()
    assert Passage.objects.filter(person=person).count() == 1
    assert Declaration.objects.filter(person=person).count() == 1


def test_the_api_registering_a_number_being_registered_elsewhere_answers_201(district, gate, new_resident_id):
    guard = checkpoint_user("guard_api_race", district.community_a, gate)
    token = tokens.issue(guard, verified=False)[1]
    number = new_resident_id("1966-06-06")
    response = race(first_registration(district, number), lambda: Client().post(
        "/api/passages/", {"name": "刘桂兰", "id_number": number, "place": gate.pk}, content_type="application/json",
        headers={"Authorization": f"Token {token}", "Idempotency-Key": uuid.uuid4().hex}))
    assert response.status_code == 201, response.content[:300]
    person = Person.objects.with_document("resident_id", number).get()
    assert response.json()["person"] == person.pk


def test_two_workers_registering_one_new_person_at_once_the_second_is_told_it_is_registered(
        district, users, client_for, new_resident_id):
    number = new_resident_id("1975-09-09")
    data = {"name": "孙丽", "id_type": "resident_id", "id_number": number, "sex": "F", "phone": "",
            "area": district.community_a.pk, "household": district.household_a102.pk, "household_role": "spouse",
            "residency": "permanent", "vaccine_doses": 0}

    def first():
        people.create_person({**data, "area": district.community_a, "household": district.household_a102},
                             user=users.admin)

    response = race(first, lambda: client_for(users.worker_a).post("/api/persons/", data,
                                                                   content_type="application/json"))
    assert response.status_code == 400, response.content[:300]
    assert "该证件号码已登记" in response.json()["id_number"][0]
    assert Person.objects.with_document("resident_id", number).count() == 1
