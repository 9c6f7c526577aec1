import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from fangkong.passes.models import Direction, PlaceKind
from tests.passes.office_helpers import make_place, passage


def ago(hours=0, minutes=0, days=0):
    return timezone.now() - datetime.timedelta(days=days, hours=hours, minutes=minutes)


def stay(person, place, start, minutes=None):
    """An entry at `start` and, when minutes is given, the exit that many minutes later."""
    rows = [passage(person, place, at=start, direction=Direction.IN)]
    if minutes is not None:
        rows.append(passage(person, place, at=start + datetime.timedelta(minutes=minutes), direction=Direction.OUT))
    return rows


@dataclass
class Scene:
    market: object  # 幸福里菜市场, a venue of community A (default stay 60 min)
    gate: object  # 幸福里小区北门, a compound gate (default stay 30 min)
    far: object  # 李庄村口, community B's checkpoint
    case: object  # person_a: the case
    at: datetime.datetime  # when the case entered the market (stayed 60 min)


@pytest.fixture
def scene(district):
    market = make_place(district.community_a, "幸福里菜市场", kind=PlaceKind.VENUE)
    gate = make_place(district.community_a, "幸福里小区北门", compound=district.compound_a)
    far = make_place(district.community_b, "李庄村口", kind=PlaceKind.CHECKPOINT)
    at = ago(days=2)
    stay(district.person_a, market, at, 60)
    return Scene(market=market, gate=gate, far=far, case=district.person_a, at=at)
