"""The testing app's health-code facts, source by source, and the bulk recompute that stores them."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from fangkong.healthcode import services as healthcode
from fangkong.healthcode import testing_facts as facts
from fangkong.healthcode.models import HealthStatus
from fangkong.people.models import Person
from fangkong.testing import services
from fangkong.testing.models import Pooling, Sample, Tube, TubeResult
from tests.healthcode.helpers import screen


def tube_with(setup, barcode, persons, *, result, at, round_=None, single=False):
    """A tube of `persons` with a result, written directly (the result import is tested elsewhere)."""
    round_ = round_ or setup.round
    tube = Tube.objects.create(barcode=barcode, campaign=setup.campaign, round=None if single else round_,
                               site=setup.site, pooling=Pooling.SINGLE if single else Pooling.TEN,
                               pool_size=1 if single else 10, size=len(persons), opened_by=setup.sampler,
                               sealed_at=at, result=result, result_at=at)
    for person in persons:
        Sample.objects.create(tube=tube, person=person, campaign=setup.campaign, round=tube.round, site=setup.site,
                              sampled_by=setup.sampler)
    return tube


def kinds(found, person):
    return [(fact.kind, fact.at, fact.reason) for fact in found.get(person.pk, ())]


def test_each_person_gets_their_latest_negative_and_a_positive_single_tube(setup, district, users):
    a, neighbour, other = district.persons_a
    earlier = timezone.now() - datetime.timedelta(days=1, hours=2)
    later = earlier + datetime.timedelta(hours=20)
    tube_with(setup, "N-0001", [a, neighbour], result=TubeResult.NEGATIVE, at=earlier)
    other_round = services.create_campaign(name="复核", area=district.subdistrict, starts_on=timezone.localdate(),
                                           ends_on=timezone.localdate(), user=users.officer).rounds.get()
    tube_with(setup, "N-0002", [a], result=TubeResult.NEGATIVE, at=later, round_=other_round)
    tube_with(setup, "P-0009", [other], result=TubeResult.POSITIVE, at=later, round_=other_round)  # a pool
    tube_with(setup, "S-0001", [neighbour], result=TubeResult.POSITIVE, at=later, single=True)
    tube_with(setup, "W-0001", [district.person_c], result=TubeResult.PENDING, at=None, round_=other_round)
    found = facts.test_results([a.pk, neighbour.pk, other.pk, district.person_c.pk, district.person_b.pk])

    def negative(at):
        return ("test:negative", at, f"核酸阴性（{timezone.localtime(at):%m-%d %H:%M}）")

    assert kinds(found, a) == [negative(later)]
    positive = ("test:positive", later, f"核酸检测阳性（{timezone.localtime(later):%m-%d %H:%M}）")
    assert kinds(found, neighbour) == [negative(earlier), positive]
    assert kinds(found, other) == kinds(found, district.person_c) == kinds(found, district.person_b) == []


@pytest.fixture
def ended_round(setup, district, users):
    """A campaign over 东风街道 that began two days ago: its round of yesterday is the latest that ended."""
    today = timezone.localdate()
    campaign = services.create_campaign(name="连续三天核酸", area=district.subdistrict,
                                        starts_on=today - datetime.timedelta(days=2), ends_on=today, user=users.officer)
    return campaign.rounds.get(day=today - datetime.timedelta(days=1))


def test_overdue_are_those_due_in_the_latest_ended_round_and_not_sampled_nor_exempt(setup, district, users,
                                                                                  ended_round):
    a, neighbour, other = district.persons_a
    campaign = ended_round.campaign
    Sample.objects.create(tube=tube_with(setup, "Y-0001", [], result=TubeResult.NEGATIVE, at=timezone.now()),
                          person=a, campaign=campaign, round=ended_round, site=setup.site, sampled_by=setup.sampler)
    services.exempt(campaign, neighbour, "卧床老人", users.officer)
    Person.objects.update(created_at=timezone.now() - datetime.timedelta(days=30))
    # Registered after the round's day: was not due then.
    Person.objects.filter(pk=district.person_c.pk).update(created_at=timezone.now())
    found = facts.overdue_tests([a.pk, neighbour.pk, other.pk, district.person_b.pk, district.person_c.pk])
    day = ended_round.day
    due_from = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))
    assert kinds(found, other) == [("test:overdue", due_from, f"连续三天核酸第2轮（{day.month}月{day.day}日）未检测")]
    # Sampled, exempt, outside the campaign's area (李庄村), registered too late:
    assert set(found) == {other.pk}


def test_a_bulk_recompute_in_several_chunks_of_one_transaction_stores_every_row(setup, district, users,
                                                                               monkeypatch):
    a, neighbour, other = district.persons_a
    at = timezone.now() - datetime.timedelta(hours=3)
    tube_with(setup, "N-0003", [a, neighbour, other, district.person_c], result=TubeResult.NEGATIVE, at=at)
    screen(other, "close_contact", users.worker_a)
    monkeypatch.setattr(healthcode, "CHUNK", 2)  # three chunks through the same temporary table
    persons = [a, neighbour, other, district.person_c, district.person_b]
    with transaction.atomic():
        assert healthcode.recompute([p.pk for p in persons]) == 5
    statuses = {s.person_id: s for s in HealthStatus.objects.filter(person__in=persons)}
    assert [statuses[p.pk].colour for p in persons] == ["green", "green", "red", "green", "green"]
    for person in (a, neighbour, district.person_c):
        status = statuses[person.pk]
        assert (status.last_test_result, status.last_test_at, status.last_negative_at) == ("negative", at, at)
        assert (status.reasons, status.key_persons, status.in_sealed_zone) == ([], [], False)
    assert statuses[other.pk].key_persons == ["close_contact"] and len(statuses[other.pk].reasons) == 1
    assert (statuses[district.person_b.pk].last_test_result, statuses[district.person_b.pk].reasons) == ("", [])
