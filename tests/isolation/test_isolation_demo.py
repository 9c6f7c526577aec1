"""The isolation demo on top of the small demo district: two sites with rooms, orders in every state,
monitoring history with open tasks, one transfer batch on its way; safe to run twice."""

import random
from io import StringIO

from django.core.management import call_command

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.healthcode.models import HealthStatus
from fangkong.isolation import demo
from fangkong.isolation.models import (
    IsolationOrder,
    MonitoringCheck,
    MonitoringTask,
    Site,
    Source,
    State,
    TransferBatch,
)
from fangkong.territory.models import Area, AreaLevel


def test_the_demo_builds_isolation_in_every_state_once(db):
    call_command("demo_district", "--size", "small", stdout=StringIO())
    district = Area.objects.get(level=AreaLevel.DISTRICT, name="东湖示范区")
    users = [(user, Role(user.groups.get().name)) for user in User.objects.filter(groups__isnull=False)]
    demo.build(district, random.Random(7), users)
    assert Site.objects.count() == 2 and all(site.rooms.exists() for site in Site.objects.all())
    assert set(IsolationOrder.objects.values_list("state", flat=True)) == set(State.values)
    # 42 orders, and the home health monitoring that follows each released centralized one (14+7); the tracing
    # demo's bulk action orders its close contacts too (source 流调判定).
    own = IsolationOrder.objects.exclude(source=Source.TRACING)
    assert own.count() == 42 + own.filter(state=State.RELEASED, kind="centralized").count()
    assert IsolationOrder.objects.filter(source=Source.TRACING).exists()
    assert MonitoringCheck.objects.count() > 100 and MonitoringTask.objects.open().exists()
    batch = TransferBatch.objects.get()
    assert batch.orders.count() == 4 and set(batch.orders.values_list("state", flat=True)) == {State.ORDERED}
    isolating = IsolationOrder.objects.isolating().values_list("person_id", flat=True)
    assert HealthStatus.objects.filter(person_id__in=isolating).exclude(isolation="").count() == len(isolating)
