"""The unlock timetable (解封时间表): days since the last positive inside, consecutive negative rounds with enough
coverage, recomputed when results arrive; it plans, it never lifts."""

import datetime
import itertools

import pytest
from django.utils import timezone

from fangkong.testing.models import Campaign, Round, Sample, Site, Tube, TubeResult
from fangkong.testing.services import results_recorded
from fangkong.zones import services
from fangkong.zones.models import RiskZone, UnlockRule, ZoneKind

from .conftest import seal

BARCODES = itertools.count(1)


def _day(n):
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def campaign(district, users):
    campaign = Campaign.objects.create(name="东风街道全员核酸", area=district.subdistrict, starts_on=_day(20),
                                       ends_on=_day(0), created_by=users.officer)
    site = Site.objects.create(campaign=campaign, name="北门采样点", area=district.community_a)
    return campaign, site


def _round(campaign, number, days_ago, persons, result, user):
    campaign, site = campaign
    round_ = Round.objects.create(campaign=campaign, number=number, day=_day(days_ago))
    at = timezone.now() - datetime.timedelta(days=days_ago)
    for person in persons:
        tube = Tube.objects.create(barcode=f"T{next(BARCODES):08d}", campaign=campaign, round=round_, site=site,
                                   pooling="1", pool_size=1, size=1, opened_by=user, sealed_at=at,
                                   result=result(person), result_at=at if result(person) != "pending" else None)
        Sample.objects.create(tube=tube, person=person, campaign=campaign, round=round_, site=site, sampled_at=at,
                              sampled_by=user)
    return round_


def _zone(users, district, days_ago):
    zone = seal(users.officer, district, started_at=timezone.now() - datetime.timedelta(days=days_ago))
    services.refresh_timetable([zone.pk])
    return RiskZone.objects.get(pk=zone.pk)


def test_a_new_zone_waits_the_days_and_the_rounds(district, users):
    zone = _zone(users, district, 2)
    assert zone.planned_lift_on == _day(2) + datetime.timedelta(days=14)
    assert zone.missing == ["距末例阳性（或划定）满 14 天，还差 12 天", "还需 3 轮连续阴性、覆盖率≥95%的核酸检测"]


def test_three_negative_rounds_after_quiet_days_make_it_due_today(district, users, campaign):
    negative = lambda person: TubeResult.NEGATIVE  # noqa: E731
    for number, days_ago in ((1, 6), (2, 4), (3, 2)):
        _round(campaign, number, days_ago, district.persons_a, negative, users.officer)
    zone = _zone(users, district, 16)
    assert zone.planned_lift_on == _day(2) and zone.negative_rounds == 3 and zone.missing == []
    assert zone.kind == ZoneKind.SEALED  # planned, never lifted by itself


def test_a_round_below_coverage_breaks_the_run(district, users, campaign):
    negative = lambda person: TubeResult.NEGATIVE  # noqa: E731
    _round(campaign, 1, 6, district.persons_a, negative, users.officer)
    _round(campaign, 2, 4, district.persons_a[:2], negative, users.officer)  # 2 of 3: 67 %
    _round(campaign, 3, 2, district.persons_a, negative, users.officer)
    zone = _zone(users, district, 16)
    assert zone.negative_rounds == 1
    assert zone.planned_lift_on == _day(0) + datetime.timedelta(days=2)
    assert zone.missing == ["还需 2 轮连续阴性、覆盖率≥95%的核酸检测"]


def test_a_positive_inside_restarts_the_days_when_its_result_arrives(district, users, campaign,
                                                                     django_capture_on_commit_callbacks):
    negative = lambda person: TubeResult.NEGATIVE  # noqa: E731
    for number, days_ago in ((1, 6), (2, 4)):
        _round(campaign, number, days_ago, district.persons_a, negative, users.officer)
    zone = _zone(users, district, 16)
    assert zone.negative_rounds == 2
    first = district.person_a
    _round(campaign, 3, 1, district.persons_a, lambda p: TubeResult.POSITIVE if p == first else TubeResult.NEGATIVE,
           users.officer)
    with django_capture_on_commit_callbacks(execute=True):
        results_recorded.send(sender=TubeResult, person_ids=[first.pk])
    zone.refresh_from_db()
    assert zone.last_positive_on == _day(1)
    assert zone.planned_lift_on == _day(1) + datetime.timedelta(days=14)
    assert zone.missing[0] == "距末例阳性（或划定）满 14 天，还差 13 天"


def test_the_district_rules_change_the_plan(district, users):
    services.set_rules(district.district, user=users.admin, days_since_positive=7, negative_rounds=0, min_coverage=95)
    zone = _zone(users, district, 2)
    assert zone.planned_lift_on == _day(2) + datetime.timedelta(days=7)
    assert UnlockRule.objects.get().days_since_positive == 7


def test_the_table_lists_active_zones_by_planned_date(district, users, client_for):
    late = _zone(users, district, 1)
    early = services.create_zone(user=users.admin, kind=ZoneKind.CONTROLLED, name="李庄村管控区", reason="阳性",
                                 areas=[district.community_b.pk],
                                 started_at=timezone.now() - datetime.timedelta(days=10))
    gone = services.create_zone(user=users.officer, kind=ZoneKind.PRECAUTION, name="新华社区", reason="阳性",
                                areas=[district.community_c.pk])
    services.lift(gone, user=users.officer, reason="解封")
    assert list(services.timetable(users.admin)) == [early, late]
    page = client_for(users.admin).get("/zones/timetable/").content.decode()
    assert page.index("李庄村管控区") < page.index("幸福里小区封控区") and "新华社区" not in page
    assert "还需 3 轮连续阴性" in page
    # A community worker of 李庄村 sees only their zone.
    assert list(services.timetable(users.worker_b)) == [early]
