"""/api/isolations/ and /api/isolation-sites/: the services behind the pages, scoped, errors in Chinese."""

import datetime

from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.isolation.models import IsolationOrder, MonitoringCheck, Site, State
from tests.conftest import make_user
from tests.isolation.conftest import days_ago, isolate

JSON = "application/json"


def test_a_worker_orders_home_isolation_through_the_api_and_lists_it(district, users, client_for):
    api = client_for(users.worker_a)
    response = api.post("/api/isolations/", {"person": district.person_a.pk, "kind": "home", "reason": "密接",
                                             "start": str(timezone.localdate())}, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["kind"], body["person_name"]) == ("isolating", "home", "王*英")
    assert body["planned_end"] == str(timezone.localdate() + datetime.timedelta(days=14))
    listing = api.get("/api/isolations/", {"state": "active", "kind": "home", "person": district.person_a.pk})
    assert [row["id"] for row in listing.json()["results"]] == [body["id"]]
    assert api.get("/api/isolations/", {"kind": "centralized"}).json()["results"] == []


def test_the_api_refuses_bad_orders_in_chinese_and_writes_nothing(district, users, client_for):
    api = client_for(users.worker_a)
    isolate(district.person_a, users.worker_a)
    second = api.post("/api/isolations/", {"person": district.person_a.pk, "kind": "centralized", "reason": "x"},
                      content_type=JSON)
    assert second.status_code == 400 and "已有未解除的隔离" in second.json()["person"][0]
    backwards = api.post("/api/isolations/", {"person": district.person_a_neighbour.pk, "kind": "home",
                                              "reason": "x", "start": str(timezone.localdate()),
                                              "planned_end": str(days_ago(2))}, content_type=JSON)
    assert backwards.status_code == 400 and "计划解除日期不能早于开始日期" in backwards.json()["planned_end"][0]
    other = api.post("/api/isolations/", {"person": district.person_b.pk, "kind": "home", "reason": "x"},
                     content_type=JSON)
    assert other.status_code == 400 and "不在您的管辖范围内" in other.json()["person"][0]
    assert IsolationOrder.objects.count() == 1


def test_release_before_the_planned_end_needs_a_reason_then_another_approver(district, users, sites, client_for):
    order = isolate(district.person_a, users.worker_a, start_days_ago=2)
    admin = client_for(users.admin)
    refused = admin.post(f"/api/isolations/{order.pk}/release/", {}, content_type=JSON)
    assert refused.status_code == 400 and "提前解除须填写原因" in refused.json()["reason"][0]
    pending = admin.post(f"/api/isolations/{order.pk}/release/", {"reason": "排除密接"}, content_type=JSON)
    assert pending.status_code == 200 and pending.json()["release_pending"] is True
    assert pending.json()["state"] == State.ISOLATING
    own = admin.post(f"/api/isolations/{order.pk}/approve-release/", content_type=JSON)
    assert own.status_code == 400 and "不能审批自己提交的" in own.json()["reason"][0]
    approved = client_for(sites.approver).post(f"/api/isolations/{order.pk}/approve-release/", content_type=JSON)
    assert approved.status_code == 200 and approved.json()["state"] == State.RELEASED


def test_release_on_the_planned_end_with_the_tests_in_needs_no_reason(district, users, client_for, negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    negative_results(district.person_a, 0, 1)
    response = client_for(users.worker_a).post(f"/api/isolations/{order.pk}/release/", {}, content_type=JSON)
    assert response.status_code == 200 and response.json()["state"] == State.RELEASED


def test_monitoring_entries_under_an_order_refuse_the_future_and_99_degrees(district, users, client_for):
    order = isolate(district.person_a, users.worker_a)
    api = client_for(users.worker_a)
    hot = api.post(f"/api/isolations/{order.pk}/checks/", {"temperature": "99"}, content_type=JSON)
    assert hot.status_code == 400 and "体温应在 34.0 到 43.0 ℃ 之间" in hot.json()["temperature"][0]
    later = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    future = api.post(f"/api/isolations/{order.pk}/checks/", {"temperature": "36.5", "at": later}, content_type=JSON)
    assert future.status_code == 400 and "测量时间不能晚于现在" in future.json()["at"][0]
    assert not MonitoringCheck.objects.exists()
    ok = api.post(f"/api/isolations/{order.pk}/checks/", {"temperature": "36.5"}, content_type=JSON)
    assert ok.status_code == 201, ok.content
    assert [c["temperature"] for c in api.get(f"/api/isolations/{order.pk}/checks/").json()] == ["36.5"]


def test_a_site_worker_of_another_district_cannot_open_an_order_by_id(district, users, client_for):
    from fangkong.territory.models import Area, AreaLevel

    elsewhere = Area.objects.create(name="外区", code="410106", level=AreaLevel.DISTRICT)
    stranger = make_user("site_elsewhere", Role.ISOLATION_SITE_STAFF, elsewhere, full_name="外区隔离点")
    Site.objects.create(name="外区酒店", area=elsewhere).staff.add(stranger)
    order = isolate(district.person_a, users.worker_a)
    api = client_for(stranger)
    assert api.get(f"/api/isolations/{order.pk}/").status_code == 404
    assert api.post(f"/api/isolations/{order.pk}/checks/", {"temperature": "36.5"},
                    content_type=JSON).status_code == 404
    assert api.get("/api/isolations/").json()["results"] == []
    assert [site["name"] for site in api.get("/api/isolation-sites/").json()["results"]] == ["外区酒店"]


def test_sites_come_with_their_rooms_and_occupancy(district, users, sites, client_for):
    isolate(district.person_a, users.worker_a, kind="centralized", site=sites.hotel, room=sites.rooms[1])
    body = client_for(users.admin).get("/api/isolation-sites/").json()["results"]
    rooms = {room["number"]: (room["capacity"], room["occupied"], room["state"]) for room in body[0]["rooms"]}
    assert rooms == {"101": (1, 0, "free"), "102": (2, 1, "occupied"), "103": (1, 0, "free")}
    assert client_for(users.leader).post("/api/isolations/", {}, content_type=JSON).status_code == 403


def test_the_health_code_api_names_the_isolation(district, users, client_for):
    isolate(district.person_a, users.worker_a)
    body = client_for(users.worker_a).get(f"/api/health-codes/{district.person_a.pk}/").json()
    assert (body["colour"], body["isolation"]) == ("red", "home")
    assert any("居家隔离中" in reason for reason in body["reasons"])
