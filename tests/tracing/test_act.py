"""The bulk action: contacts → key-person screening, isolation order, health code, a task on the worker's home."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.isolation.models import IsolationOrder
from fangkong.passes.verdict import gate_verdict
from fangkong.people.models import Person
from fangkong.screening.models import Category, Screening
from fangkong.tracing import services
from fangkong.tracing.models import ContactTask, Mark
from tests.conftest import declare

from .conftest import stay


@pytest.fixture
def traced(district, users, scene):
    stay(district.person_a_neighbour, scene.market, scene.at, 30)
    stay(district.person_b, scene.market, scene.at, 45)  # of community B, another subdistrict
    return services.open_trace(scene.case, timezone.localdate(), user=users.officer)


def test_acting_on_a_contact_screens_isolates_and_tasks_once_and_the_gate_then_denies(
        district, users, scene, traced, client_for):
    neighbour = district.person_a_neighbour
    close = Category.objects.get(code="close_contact")
    declare(neighbour)
    result = services.act(traced, [neighbour.pk], category=close, isolation_kind="home", user=users.officer)
    assert (result.screenings, result.orders, result.tasks) == (1, 1, 1)
    screening = Screening.objects.get(person=neighbour)
    assert screening.category == close and screening.source == "tracing"
    order = IsolationOrder.objects.get(person=neighbour)
    assert order.kind == "home" and order.source == "tracing" and order.state == "isolating"
    assert ContactTask.objects.get(person=neighbour).area == district.community_a
    assert traced.contacts.get(person=neighbour).mark == Mark.CLOSE
    assert AuditEvent.objects.filter(object_type="tracing.Trace", object_id=str(traced.pk), changes__has_key="act")
    decision = gate_verdict(Person.objects.get(pk=neighbour.pk), scene.gate, timezone.now(), temperature="36.5",
                            declaration=neighbour.declarations.first())
    assert decision.verdict == "deny"
    assert any("居家隔离中" in reason for reason in decision.reasons)

    again = services.act(traced, [neighbour.pk], category=close, isolation_kind="home", user=users.officer)
    assert (again.screenings, again.orders, again.tasks, again.already) == (0, 0, 0, 1)
    assert Screening.objects.filter(person=neighbour).count() == 1
    assert IsolationOrder.objects.filter(person=neighbour).count() == 1

    # The community worker sees the task on the home page.
    page = client_for(users.worker_a).get("/")
    assert "1 名流调接触者待落实管控" in page.content.decode()


def test_a_bulk_action_on_a_person_of_another_district_or_no_contact_writes_nothing(
        district, users, scene, traced):
    close = Category.objects.get(code="close_contact")
    neighbour, b = district.person_a_neighbour, district.person_b
    with pytest.raises(ValidationError) as refused:
        services.act(traced, [neighbour.pk, b.pk], category=close, isolation_kind="home", user=users.officer)
    assert "第 2 人：不在您的管辖范围内" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        services.act(traced, [district.person_c.pk], category=close, isolation_kind="home", user=users.officer)
    assert "不是本次流调的接触者" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        services.act(traced, [neighbour.pk], category=close, isolation_kind="hotel", user=users.officer)
    assert "请选择隔离类型" in str(refused.value)
    assert not Screening.objects.exists() and not IsolationOrder.objects.exists() and not ContactTask.objects.exists()
