import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.isolation import services
from fangkong.isolation.models import Room, Site
from tests.conftest import make_user


@dataclass
class Sites:
    hotel: Site
    rooms: list  # 101 (one bed), 102 (two beds), 103 (one bed)
    staff: object  # 隔离点工作人员 of the hotel
    approver: object  # a second district admin, for early releases


@pytest.fixture
def sites(district, users):
    hotel = Site.objects.create(name="如家酒店隔离点", area=district.district, address="中原路1号")
    rooms = [Room.objects.create(site=hotel, number="101", capacity=1),
             Room.objects.create(site=hotel, number="102", capacity=2),
             Room.objects.create(site=hotel, number="103", capacity=1)]
    staff = make_user("site_staff", Role.ISOLATION_SITE_STAFF, district.district, full_name="隔离点医生")
    hotel.staff.add(staff)
    approver = make_user("admin_two", Role.DISTRICT_ADMIN, district.district, full_name="区管理员乙")
    return Sites(hotel=hotel, rooms=rooms, staff=staff, approver=approver)


def days_ago(n):
    return timezone.localdate() - datetime.timedelta(days=n)


def isolate(person, user, kind="home", start_days_ago=0, **fields):
    return services.order_isolation(person, kind=kind, user=user, reason=fields.pop("reason", "密切接触者"),
                                    start=days_ago(start_days_ago), **fields)


@pytest.fixture
def negative_results(district, users):
    """negative_results(person, *days_ago): a negative single tube of the person for each day, written as the
    result import leaves them (testing's rows, which release proposals and the release read)."""
    return negative_results_at(district, users.admin)


def negative_results_at(district, admin):
    """The negative_results fixture as a plain function, for tests outside this folder (the verdict matrix):
    a campaign of the test district with a sampling site in community A, opened by `admin`, and the function that
    adds the results."""
    from fangkong.testing import services as testing
    from fangkong.testing.models import Pooling, Sample, Tube, TubeResult

    today = timezone.localdate()
    campaign = testing.create_campaign(name="隔离人员核酸", area=district.district, starts_on=today, ends_on=today,
                                       user=admin)
    site = testing.create_site(campaign, name="隔离点采样", area=district.community_a, user=admin)
    serial = iter(range(1, 10_000))

    def add(person, *days):
        for n in days:
            at = timezone.now() - datetime.timedelta(days=n)
            tube = Tube.objects.create(barcode=f"ISO-{campaign.pk}-{next(serial):05d}", campaign=campaign, round=None,
                                       site=site, pooling=Pooling.SINGLE, pool_size=1, size=1, opened_by=admin,
                                       sealed_at=at, result=TubeResult.NEGATIVE, result_at=at)
            Sample.objects.create(tube=tube, person=person, campaign=campaign, site=site, sampled_at=at,
                                  sampled_by=admin)
    return add
