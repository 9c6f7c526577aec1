"""Colours computed from facts by rules, with reasons in Chinese, recomputed when facts change."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from fangkong.healthcode import services
from fangkong.healthcode.models import Colour, HealthStatus, Rule
from fangkong.screening import services as screening
from fangkong.screening.models import State
from tests.conftest import declare
from tests.healthcode.helpers import EXTRA_FACTS, add_fact, screen


@pytest.fixture(autouse=True)
def _no_extra_facts():
    EXTRA_FACTS.clear()
    yield
    EXTRA_FACTS.clear()


def colour_of(person, now=None):
    services.recompute([person.pk], now=now)
    return HealthStatus.objects.get(person=person)


def test_close_contact_is_red_with_the_reason(district, users):
    person = district.person_a
    assert colour_of(person).colour == Colour.GREEN
    screen(person, "close_contact", users.worker_a, days_ago=2)
    status = colour_of(person)
    day = (screening.today() - datetime.timedelta(days=2)).isoformat()
    assert (status.colour, status.computed_colour) == (Colour.RED, Colour.RED)
    assert status.reasons == [f"重点人员：密切接触者（{day} 起）"]


def test_a_returnee_from_another_province_stays_green(district, users):
    screen(district.person_a, "return_province", users.worker_a)
    status = colour_of(district.person_a)
    assert (status.colour, status.reasons) == (Colour.GREEN, [])


def test_declared_symptoms_are_yellow_for_14_days_then_green(district):
    person = district.person_a
    declared = timezone.now() - datetime.timedelta(days=3)
    declare(person, at=declared, has_symptoms=True)
    status = colour_of(person)
    assert status.colour == Colour.YELLOW
    assert status.reasons == [f"{timezone.localtime(declared):%Y-%m-%d} 申报有发热、咳嗽等症状"]
    assert colour_of(person, now=declared + datetime.timedelta(days=13, hours=23)).colour == Colour.YELLOW
    assert colour_of(person, now=declared + datetime.timedelta(days=14, minutes=1)).colour == Colour.GREEN


def test_a_later_no_does_not_clear_the_colour_a_yes_raised_only_a_workers_override_does(district, users):
    person = district.person_a
    said = timezone.now() - datetime.timedelta(days=2)
    declare(person, at=said, had_contact=True)
    declare(person, at=timezone.now() - datetime.timedelta(days=1))
    declare(person)  # "no" to everything, twice since
    status = colour_of(person)
    assert status.colour == Colour.YELLOW
    assert status.reasons == [f"{timezone.localtime(said):%Y-%m-%d} 申报接触过确诊或疑似人员"]
    # The yes holds for the rule's days, counted from when it was said.
    assert colour_of(person, now=said + datetime.timedelta(days=14, minutes=1)).colour == Colour.GREEN

    override = services.request_override(person, colour=Colour.GREEN, reason="data_error", note="电话核实，误填",
                                         days=3, user=users.worker_a)
    services.approve(override, users.admin, "同意")
    assert colour_of(person).colour == Colour.GREEN


def test_an_unproven_phones_declaration_neither_raises_nor_lowers_the_colour(district):
    person = district.person_a
    declare(person, has_symptoms=True, proven=False)
    assert colour_of(person).colour == Colour.GREEN
    declare(person, at=timezone.now() - datetime.timedelta(hours=1), has_symptoms=True)
    declare(person, proven=False)
    assert colour_of(person).colour == Colour.YELLOW


def test_worst_colour_wins_and_reasons_come_worst_first(district, users):
    person = district.person_a
    declare(person, visited_risk_area=True)
    screen(person, "return_abroad", users.worker_a)
    status = colour_of(person)
    assert status.colour == Colour.RED
    assert status.reasons[0].startswith("重点人员：入境人员") and "中高风险地区" in status.reasons[1]


def test_test_facts_fill_the_latest_test_and_rules_are_data(district, users):
    person, now = district.person_a, timezone.now()
    add_fact(person, "test:negative", now - datetime.timedelta(hours=50), "核酸阴性")
    add_fact(person, "test:pool_positive", now - datetime.timedelta(hours=5), "混采阳性，待复核")
    status = colour_of(person)
    assert (status.colour, status.last_test_result) == (Colour.YELLOW, "pool_positive")
    assert status.last_test_at == now - datetime.timedelta(hours=5)
    assert status.last_negative_at == now - datetime.timedelta(hours=50)
    assert status.reasons == ["混采阳性，待复核"]

    # test:overdue ships inactive: a district switches it on.
    add_fact(person, "test:overdue", now - datetime.timedelta(hours=1), "应检未检")
    rule = Rule.objects.get(fact="test:pool_positive")
    services.save_rule(rule, user=users.admin, colour=Colour.GREEN, days=None, active=True)
    assert colour_of(person).colour == Colour.GREEN
    services.save_rule(Rule.objects.get(fact="test:overdue"), user=users.admin, colour=Colour.YELLOW, days="",
                       active=True)
    assert colour_of(person).reasons == ["应检未检"]


def test_sealed_zone_is_red_and_marks_the_status(district):
    add_fact(district.person_a, "zone:sealed", timezone.now(), "幸福里小区封控")
    status = colour_of(district.person_a)
    assert (status.colour, status.in_sealed_zone) == (Colour.RED, True)


def test_a_screening_change_recomputes_once_committed(district, users, django_capture_on_commit_callbacks):
    person = district.person_a
    with django_capture_on_commit_callbacks(execute=True):
        contact = screen(person, "close_contact", users.worker_a)
    assert HealthStatus.objects.get(person=person).colour == Colour.RED
    with django_capture_on_commit_callbacks(execute=True):
        for state, reason in ((State.VERIFIED, "已核实"), (State.RELEASED, "期满解除")):
            screening.change_state(contact, state, reason, user=users.worker_a)
    assert HealthStatus.objects.get(person=person).colour == Colour.GREEN


def test_a_declaration_recomputes_once_committed(district, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        declare(district.person_b, had_contact=True)
    assert HealthStatus.objects.get(person=district.person_b).colour == Colour.YELLOW


def test_status_for_computes_a_missing_row(district, users):
    screen(district.person_c, "secondary_contact", users.admin)
    assert not HealthStatus.objects.filter(person=district.person_c).exists()
    assert services.status_for(district.person_c).colour == Colour.YELLOW


def test_a_rule_change_recomputes_the_persons_concerned(district, users, django_capture_on_commit_callbacks):
    screen(district.person_a, "return_province", users.worker_a)
    services.recompute([district.person_a.pk])
    rule = Rule.objects.create(fact="screening:return_province", description="省外返回", colour=Colour.GREEN)
    with django_capture_on_commit_callbacks(execute=True):
        services.save_rule(rule, user=users.admin, colour=Colour.YELLOW, days=7, active=True)
    assert HealthStatus.objects.get(person=district.person_a).colour == Colour.YELLOW


def test_bad_rule_values_are_refused_and_only_admins_change_rules(district, users):
    from django.core.exceptions import PermissionDenied, ValidationError

    rule = Rule.objects.get(fact="declared:symptoms")
    with pytest.raises(ValidationError) as error:
        services.save_rule(rule, user=users.admin, colour="purple", days="abc", active=True)
    assert set(error.value.message_dict) == {"colour", "days"}
    with pytest.raises(PermissionDenied):
        services.save_rule(rule, user=users.officer, colour=Colour.RED, days=None, active=True)
    rule.refresh_from_db()
    assert (rule.colour, rule.days) == (Colour.YELLOW, 14)


def test_recomputing_ten_thousand_persons_costs_a_constant_number_of_queries(district, users,
                                                                           django_assert_max_num_queries):
    from fangkong.people.models import Person

    area = district.community_a
    # Bare rows (no encryption work): the numbers do not matter here, only that the persons exist.
    Person.objects.bulk_create([Person(name=f"居民{i}", area=area, id_number_encrypted="-", id_index=f"bulk{i}")
                                for i in range(10_000)], batch_size=2000)
    ids = list(Person.objects.values_list("pk", flat=True))
    screen(district.person_a, "close_contact", users.worker_a)
    declare(district.person_b, has_symptoms=True)
    # Other apps register fact sources too: measure one chunk's cost, then 10,000 persons (in chunks of
    # services.CHUNK) may cost the rules query once plus at most three times a chunk's queries, whatever the facts.
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_chunk:
        services.recompute([district.person_a.pk, district.person_b.pk, *ids[:10]])
    per_chunk = len(one_chunk) - 1
    assert per_chunk <= 12
    with django_assert_max_num_queries(1 + 3 * per_chunk):
        assert services.recompute(ids) == len(ids)
    assert HealthStatus.objects.count() == len(ids)
    assert HealthStatus.objects.filter(colour=Colour.RED).get().person_id == district.person_a.pk
    assert HealthStatus.objects.filter(colour=Colour.YELLOW).get().person_id == district.person_b.pk
