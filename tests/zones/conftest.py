import datetime

import pytest
from django.utils import timezone

from fangkong.territory.models import Area, AreaLevel, Compound
from fangkong.zones import services
from fangkong.zones.models import ZoneKind


def seal(user, district, **fields):
    """幸福里小区 sealed: 3 households, 3 persons."""
    return services.create_zone(user=user, kind=fields.pop("kind", ZoneKind.SEALED), name="幸福里小区封控区",
                                reason=fields.pop("reason", "发现1例阳性感染者"),
                                compounds=[district.compound_a.pk], **fields)


@pytest.fixture
def sealed(district, users):
    return seal(users.officer, district)


@pytest.fixture
def foreign_compound(db):
    """A compound of another district, out of everyone's scope here."""
    other = Area.objects.create(name="外区", code="410106", level=AreaLevel.DISTRICT)
    community = Area.objects.create(name="外区社区", code="410106001001", level=AreaLevel.COMMUNITY, parent=other)
    return Compound.objects.create(area=community, name="外区小区")


def hours_ago(n):
    return timezone.now() - datetime.timedelta(hours=n)
