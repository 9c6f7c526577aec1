"""The issue's "Bad input and faults" through the channels the earlier tests left out: each refusal says why in
Chinese and writes nothing (the room over capacity through the API, a release without reason before the planned
end on the page, a site worker of another district on every page of an order, a site and a transfer)."""

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, MonitoringCheck, Site, State
from fangkong.territory.models import Area, AreaLevel
from tests.conftest import make_user
from tests.isolation.conftest import isolate

JSON = "application/json"


def test_the_api_refuses_a_room_over_its_capacity_and_writes_nothing(district, users, sites, client_for):
    full = sites.rooms[0]  # one bed
    services.allocate_room(isolate(district.person_a, users.worker_a, kind="centralized"), full, user=sites.staff)
    api = client_for(users.admin)  # (signing in writes its own audit row)
    before = (IsolationOrder.objects.count(), AuditEvent.objects.count())
    response = api.post("/api/isolations/", {
        "person": district.person_a_neighbour.pk, "kind": "centralized", "reason": "密接", "site": sites.hotel.pk,
        "room": full.pk}, content_type=JSON)
    assert response.status_code == 400 and "房间 101 已住满（1 人），请选择其他房间" in response.json()["room"][0]
    assert (IsolationOrder.objects.count(), AuditEvent.objects.count()) == before


def test_the_release_page_without_reason_before_the_planned_end_says_why(district, users, client_for):
    order = isolate(district.person_a, users.worker_a, start_days_ago=2)
    page = client_for(users.worker_a).post(f"/isolation/{order.pk}/release/", {"reason": ""}, follow=True)
    assert "提前解除须填写原因并由另一人审批" in page.content.decode()
    order.refresh_from_db()
    assert (order.state, order.release_requested_by) == (State.ISOLATING, None)


def test_a_site_worker_of_another_district_reaches_no_order_site_or_transfer_page(district, users, sites,
                                                                                 client_for):
    elsewhere = Area.objects.create(name="外区", code="410106", level=AreaLevel.DISTRICT)
    stranger = make_user("site_elsewhere", Role.ISOLATION_SITE_STAFF, elsewhere, full_name="外区隔离点")
    Site.objects.create(name="外区酒店", area=elsewhere).staff.add(stranger)
    order = isolate(district.person_a, users.worker_a, kind="centralized")
    batch = services.create_transfer(user=users.worker_a, from_area=district.community_a, to_site=sites.hotel,
                                     vehicle="豫A12345", driver="张师傅", departs_at=order.created_at, orders=[order])
    page = client_for(stranger)  # (signing in writes its own audit row)
    before = AuditEvent.objects.count()
    for url in (f"/isolation/{order.pk}/", f"/isolation/{order.pk}/notice.pdf", f"/isolation/sites/{sites.hotel.pk}/",
                f"/isolation/transfers/{batch.pk}/"):
        assert page.get(url).status_code == 404, url
    for url, data in ((f"/isolation/{order.pk}/check/", {"temperature": "36.5"}),
                      (f"/isolation/{order.pk}/room/", {"room": sites.rooms[0].pk}),
                      (f"/isolation/{order.pk}/release/", {"reason": "x"}),
                      (f"/isolation/{order.pk}/worker/", {"worker": stranger.pk}),
                      (f"/isolation/transfers/{batch.pk}/", {})):
        assert page.post(url, data).status_code in (403, 404), url
    assert "外区酒店" in page.get("/isolation/sites/").content.decode()
    assert "如家酒店隔离点" not in page.get("/isolation/sites/").content.decode()
    order.refresh_from_db()
    assert (order.room, order.state, order.worker) == (None, State.ISOLATING, users.worker_a)
    assert not MonitoringCheck.objects.exists() and AuditEvent.objects.count() == before
