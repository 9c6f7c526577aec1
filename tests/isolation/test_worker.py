"""The responsible worker (责任人): chosen from the person's community, handed over later with the open tasks,
audited, through the page and the API; a worker of another community is refused and nothing changes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, MonitoringTask
from tests.isolation.conftest import isolate

JSON = "application/json"


def test_the_workers_offered_are_those_of_the_persons_community_as_far_as_the_user_sees(district, users):
    assert set(services.workers_for(district.community_a.pk, users.admin)) == {users.worker_a, users.grid_worker}
    assert set(services.workers_for(district.community_b.pk, users.admin)) == {users.worker_b}
    assert list(services.workers_for(district.community_b.pk, users.worker_a)) == []


def test_an_order_names_a_worker_of_the_community_and_refuses_one_of_another(district, users):
    order = isolate(district.person_a, users.admin, worker=users.grid_worker)
    assert order.worker == users.grid_worker
    with pytest.raises(ValidationError) as error:
        isolate(district.person_a_neighbour, users.admin, worker=users.worker_b)
    assert "责任人须是该人员所在社区的社区工作人员或网格员" in str(error.value)
    assert not IsolationOrder.objects.filter(person=district.person_a_neighbour).exists()


def test_a_hand_over_moves_the_open_tasks_and_the_board_and_is_audited(district, users):
    order = isolate(district.person_a, users.worker_a, start_days_ago=1)
    services.open_missed_tasks(day=timezone.localdate() - datetime.timedelta(days=1))
    assert services.todos(users.worker_a)[0].count == 2
    services.set_worker(order, users.grid_worker, user=users.worker_a)
    assert set(MonitoringTask.objects.open().values_list("worker", flat=True)) == {users.grid_worker.pk}
    assert services.todos(users.worker_a) == [] and services.todos(users.grid_worker)[0].count == 2
    assert [(row["worker_id"], row["n"]) for row in services.board(users.admin)] == [(users.grid_worker.pk, 2)]
    # a grid worker's board counts the tasks of their grid from the tasks themselves, in the same shape
    assert [(row["worker_name"], row["n"], row["overdue"]) for row in services.board(users.grid_worker)] == [
        ("网格员", 2, 2)]
    row = AuditEvent.objects.filter(object_type="isolation.IsolationOrder", object_id=str(order.pk)).latest("id")
    assert (row.actor, row.changes["worker"]) == (users.worker_a, [users.worker_a.pk, users.grid_worker.pk])
    with pytest.raises(ValidationError) as error:
        services.set_worker(order, users.worker_b, user=users.admin)
    assert "责任人须是该人员所在社区的社区工作人员或网格员" in str(error.value)
    assert IsolationOrder.objects.get(pk=order.pk).worker == users.grid_worker


def test_the_order_page_offers_the_communitys_workers_and_hands_over(district, users, client_for):
    order = isolate(district.person_a, users.worker_a)
    page = client_for(users.worker_a)
    html = page.get(f"/isolation/{order.pk}/").content.decode()
    assert 'id="worker-form"' in html and "网格员" in html and "社区工作人员乙" not in html
    page.post(f"/isolation/{order.pk}/worker/", {"worker": users.grid_worker.pk})
    assert IsolationOrder.objects.get(pk=order.pk).worker == users.grid_worker
    refused = page.post(f"/isolation/{order.pk}/worker/", {"worker": users.worker_b.pk}, follow=True)
    assert "责任人须是该人员所在社区的社区工作人员或网格员" in refused.content.decode()
    assert IsolationOrder.objects.get(pk=order.pk).worker == users.grid_worker
    new = page.get("/isolation/new/", {"person": district.person_a_neighbour.pk}).content.decode()
    assert 'name="worker"' in new and "网格员" in new
    page.post("/isolation/new/", {"person": district.person_a_neighbour.pk, "kind": "home", "reason": "密接",
                                  "source": "screening", "start": str(timezone.localdate()),
                                  "worker": users.grid_worker.pk})
    assert IsolationOrder.objects.get(person=district.person_a_neighbour).worker == users.grid_worker
    # another community's worker cannot reach the order to hand it over
    assert client_for(users.worker_b).post(f"/isolation/{order.pk}/worker/",
                                           {"worker": users.worker_b.pk}).status_code == 404


def test_the_api_names_and_hands_over_the_worker(district, users, client_for):
    api = client_for(users.worker_a)
    created = api.post("/api/isolations/", {"person": district.person_a.pk, "kind": "home", "reason": "密接",
                                            "worker": users.grid_worker.pk}, content_type=JSON)
    assert created.status_code == 201 and created.json()["worker"] == users.grid_worker.pk
    assert created.json()["worker_name"] == "网格员"
    order_id = created.json()["id"]
    moved = api.post(f"/api/isolations/{order_id}/worker/", {"worker": users.worker_a.pk}, content_type=JSON)
    assert moved.status_code == 200 and moved.json()["worker"] == users.worker_a.pk
    refused = api.post(f"/api/isolations/{order_id}/worker/", {"worker": users.worker_b.pk}, content_type=JSON)
    assert refused.status_code == 400 and "责任人须是该人员所在社区" in refused.json()["worker"][0]
    assert client_for(users.worker_b).post(f"/api/isolations/{order_id}/worker/", {"worker": users.worker_b.pk},
                                           content_type=JSON).status_code == 404
