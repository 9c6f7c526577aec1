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
