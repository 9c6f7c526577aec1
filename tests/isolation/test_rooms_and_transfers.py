"""Rooms never hold more persons than their capacity, also when two workers allocate the last bed at once;
a transfer batch takes a community's persons to a site, which receives them and checks them into rooms."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, RoomState, State, TransferBatch, TransferState
from tests.isolation.conftest import isolate


def test_a_room_given_over_its_capacity_is_refused_and_nothing_changes(district, users, sites):
    single = sites.rooms[0]
    first = isolate(district.person_a, users.worker_a, kind="centralized", room=single)
    assert (first.room, first.site) == (single, sites.hotel)
    second = isolate(district.person_a_neighbour, users.worker_a, kind="centralized")
    with pytest.raises(ValidationError) as error:
        services.allocate_room(second, single, user=sites.staff)
    assert "房间 101 已住满（1 人），请选择其他房间" in str(error.value)
    second.refresh_from_db()
    assert second.room is None


def test_a_room_being_disinfected_takes_nobody_and_release_sends_it_to_disinfection(district, users, sites,
                                                                                    negative_results):
    room = sites.rooms[0]
    order = isolate(district.person_a, users.worker_a, kind="centralized", room=room, start_days_ago=14)
    services.check_in(order, user=sites.staff)
    negative_results(district.person_a, 0, 1)
    services.request_release(order, user=users.worker_a)
    room.refresh_from_db()
    assert room.state == RoomState.DISINFECTING
    other = isolate(district.person_a_neighbour, users.worker_a, kind="centralized")
    with pytest.raises(ValidationError) as error:
        services.allocate_room(other, room, user=sites.staff)
    assert "正在消杀" in str(error.value)
    services.set_room_state(room, RoomState.FREE, user=sites.staff)
    services.allocate_room(other, room, user=sites.staff)


@pytest.mark.django_db(transaction=True)
def test_two_workers_allocating_the_last_bed_at_once_fill_it_once(district, users, sites, monkeypatch):
    room = sites.rooms[0]
    orders = [isolate(p, users.worker_a, kind="centralized") for p in (district.person_a, district.person_a_neighbour)]
    barrier, outcomes = threading.Barrier(2), []
    counted = threading.Barrier(2, timeout=2)
    count = services.persons_in

    def count_then_wait(room):
        # Both requests count the room's persons before either writes, unless the room's lock makes the second
        # wait for the first to commit (then this wait times out alone).
        found = count(room)
        try:
            counted.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(services, "persons_in", count_then_wait)

    def allocate(order):
        try:
            barrier.wait()
            services.allocate_room(order, room, user=sites.staff)
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "房间 101 已住满（1 人），请选择其他房间"]
    assert IsolationOrder.objects.filter(room=room).count() == 1


def test_a_transfer_batch_goes_to_the_site_which_receives_and_checks_into_rooms(district, users, sites):
    orders = [isolate(p, users.worker_a, kind="centralized", start_days_ago=-1)
              for p in (district.person_a, district.person_a_neighbour)]
    batch = services.create_transfer(user=users.worker_a, from_area=district.community_a, to_site=sites.hotel,
                                     vehicle="豫A12345", driver="刘师傅", departs_at=timezone.now(), orders=orders)
    assert set(batch.orders.values_list("site", flat=True)) == {sites.hotel.pk}
    services.receive_transfer(batch, user=sites.staff)
    batch.refresh_from_db()
    assert (batch.state, batch.received_by) == (TransferState.RECEIVED, sites.staff)
    for order in orders:
        services.allocate_room(order, sites.rooms[1], user=sites.staff)
        services.check_in(order, user=sites.staff)
    assert set(IsolationOrder.objects.values_list("state", "room")) == {(State.ISOLATING, sites.rooms[1].pk)}
    assert AuditEvent.objects.filter(object_type="isolation.TransferBatch").count() == 2


def test_a_transfer_refuses_home_isolations_and_persons_of_other_communities_by_row(district, users, sites):
    home = isolate(district.person_a, users.worker_a)
    central = isolate(district.person_a_neighbour, users.worker_a, kind="centralized")
    with pytest.raises(ValidationError) as error:
        services.create_transfer(user=users.worker_a, from_area=district.community_a, to_site=sites.hotel,
                                 vehicle="", driver="刘师傅", departs_at=timezone.now(), orders=[central, home])
    errors = error.value.message_dict
    assert errors["vehicle"] == ["请填写车牌号"]
    assert any("第 2 人" in m and "不是待集中隔离的人员" in m for m in errors["orders"])
    assert not TransferBatch.objects.exists()
