"""/api/categories/ and /api/screenings/: the pages' services, scoped, masked, errors in Chinese."""

import pytest

from fangkong.screening import services
from fangkong.screening.models import Category, FollowUp, Screening, State, StateChange
from tests import viewtests

JSON = "application/json"


@pytest.fixture
def returnee(district):
    return Category.objects.get(code="return_province")


@pytest.fixture
def screening_a(district, users, returnee):
    return services.open_screening(district.person_a, returnee, user=users.worker_a)


@pytest.fixture
def screening_b(district, users, returnee):
    return services.open_screening(district.person_b, returnee, user=users.worker_b)


class TestCategoryEndpoints(viewtests.PermissionTests):
    api = True
    refused = "worker_a"  # staff read the categories; district admins configure them
    refused_requests = [("POST", "/api/categories/", {"code": "x", "name": "x"}), ("DELETE", "/api/categories/{pk}/")]

    inside = viewtests.pick("returnee")


class TestScreeningEndpoints(viewtests.OutsideScopeTests, viewtests.PermissionTests):
    api = True
    viewer = "worker_a"
    outside_requests = ["/api/screenings/{pk}/", "/api/screenings/{pk}/follow-ups/", "/api/screenings/{pk}/history/",
                        ("POST", "/api/screenings/{pk}/state/", {"to_state": "verified", "reason": "x"}),
                        ("POST", "/api/screenings/{pk}/follow-ups/", {"temperature": "36.5"})]
    refused = "leader"
    refused_requests = [("POST", "/api/screenings/{pk}/follow-ups/", {}),
                        ("POST", "/api/screenings/{pk}/state/", {"to_state": "under_control", "reason": "x"}),
                        ("POST", "/api/screenings/", {"person": 1, "category": 1})]

    inside = viewtests.pick("screening_a")
    outside = viewtests.pick("screening_b")


def test_categories_are_read_by_staff_and_configured_by_district_admins(users, client_for, returnee, screening_a):
    listing = client_for(users.grid_worker).get("/api/categories/")
    assert listing.status_code == 200
    assert {"code": "return_province", "name": "省外返回人员"}.items() <= listing.json()[0].items()

    admin = client_for(users.admin)
    response = admin.post("/api/categories/", {"code": "sealed_building", "name": "封控楼栋人员",
                                               "gate_effect": "deny", "follow_up_days": 7}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert Category.objects.get(code="sealed_building").gate_effect == "deny"
    response = admin.post("/api/categories/", {"code": "again", "name": "封控楼栋人员", "follow_up_days": 0},
                          content_type=JSON)
    assert response.status_code == 400
    assert response.json()["follow_up_days"] == ["管控天数应在 1 到 365 天之间"]
    assert "name" in response.json()
    assert admin.patch(f"/api/categories/{returnee.pk}/", {"active": False}, content_type=JSON).status_code == 200
    returnee.refresh_from_db()
    assert returnee.active is False and returnee.name == "省外返回人员"

    response = admin.delete(f"/api/categories/{returnee.pk}/")
    assert response.status_code == 400
    assert response.json() == {"detail": ["“省外返回人员”已有 1 条排查记录，不能删除，可以停用"]}
    assert Category.objects.filter(pk=returnee.pk).exists()
    assert admin.delete(f"/api/categories/{Category.objects.get(code='sealed_building').pk}/").status_code == 204


def test_screenings_are_listed_in_scope_masked_and_filtered(district, users, client_for, screening_a, screening_b):
    data = client_for(users.worker_a).get("/api/screenings/").json()
    assert [row["id"] for row in data["results"]] == [screening_a.pk]
    row = data["results"][0]
    number = district.numbers["a"]
    assert row["person_name"] == "王*英" and row["person_id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert "王秀英" not in str(data) and number not in str(data)
    assert row["next_states"] == ["verified", "not_found", "left"]
    admin = client_for(users.admin)
    assert admin.get("/api/screenings/").json()["count"] == 2
    assert admin.get(f"/api/screenings/?area={district.community_b.pk}").json()["count"] == 1
    assert admin.get("/api/screenings/?overdue=1&category=return_province").json()["count"] == 2
    assert admin.get("/api/screenings/?q=王秀英").json()["count"] == 1
    assert admin.get("/api/screenings/?state=released").json()["count"] == 0


def test_creating_a_screening_through_the_api(district, users, client_for, returnee):
    client = client_for(users.grid_worker)
    response = client.post("/api/screenings/", {"person": district.person_a.pk, "category": returnee.pk,
                                                "origin": "上海市浦东新区"}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["person_name"] == "王*英" and response.json()["area"] == district.community_a.pk
    again = client.post("/api/screenings/", {"person": district.person_a.pk, "category": returnee.pk},
                        content_type=JSON)
    assert again.status_code == 400 and "请勿重复登记" in again.json()["category"][0]
    # A person outside the grid reads as one that does not exist.
    outside = client.post("/api/screenings/", {"person": district.person_b.pk, "category": returnee.pk},
                          content_type=JSON)
    assert outside.status_code == 400 and outside.json()["person"] == ["没有这个人员，或不在您的管辖范围内"]
    assert Screening.objects.count() == 1


def test_state_and_follow_ups_through_the_api(users, client_for, screening_a, screening_b):
    client = client_for(users.grid_worker)
    url = f"/api/screenings/{screening_a.pk}"
    response = client.post(f"{url}/state/", {"to_state": "verified"}, content_type=JSON)
    assert response.status_code == 400 and response.json() == {"reason": ["请填写状态变更原因"]}
    response = client.post(f"{url}/state/", {"to_state": "released", "reason": "x"}, content_type=JSON)
    assert response.status_code == 400 and "不能从“已上报”变更为“已解除”" in response.json()["state"][0]
    assert not StateChange.objects.exists()
    response = client.post(f"{url}/state/", {"to_state": "verified", "reason": "入户核实"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["state"] == State.VERIFIED
    assert client.get(f"{url}/history/").json()[0]["reason"] == "入户核实"

    response = client.post(f"{url}/follow-ups/", {"temperature": "36.7", "note": "无异常"}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["temperature"] == "36.7" and response.json()["on"] == services.today().isoformat()
    again = client.post(f"{url}/follow-ups/", {"temperature": "36.7"}, content_type=JSON)
    assert again.status_code == 400 and "已记录过跟进" in again.json()["on"][0]
    assert [f["note"] for f in client.get(f"{url}/follow-ups/").json()] == ["无异常"]
    assert FollowUp.objects.count() == 1 and StateChange.objects.count() == 1
