"""/api/places/: scoped, masked, scan_url for staff, the poster as PDF for approved places only."""

import pytest
from rest_framework.test import APIClient
from test_places import PHONE, place_in

from fangkong.passes.models import Place, PlaceKind, PlaceState
from tests import viewtests


@pytest.fixture
def places(district):
    """An approved gate and a pending shop in A, an approved checkpoint in B."""

    class Places:
        gate = place_in(district.community_a)
        pending = place_in(district.community_a, "好又多超市", PlaceState.PENDING, PlaceKind.VENUE)
        village = place_in(district.community_b, "李庄村卡点", kind=PlaceKind.CHECKPOINT, address="李庄村村口")

    return Places


class TestPlaceEndpoints(viewtests.DetailTests, viewtests.OutsideScopeTests, viewtests.CreateTests,
                         viewtests.PermissionTests):
    api = True
    viewer = creator = "worker_a"
    detail_url = "/api/places/{pk}/"
    create_url = "/api/places/"
    outside_requests = ["/api/places/{pk}/", "/api/places/{pk}/poster/"]
    refused = "leader"  # reads but cannot create
    refused_requests = [("POST", "/api/places/", {"name": "x"})]

    inside = viewtests.pick("places", "gate")
    outside = viewtests.pick("places", "village")

    @pytest.fixture
    def create_data(self, district):
        return {"name": "新开药店", "kind": PlaceKind.VENUE, "area": district.community_a.pk, "address": "文化路3号",
                "contact_name": "李明", "contact_phone": PHONE}

    def created(self, data):
        return Place.objects.get(name=data["name"])


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_list_their_places_with_the_scan_url_and_a_masked_phone(users, places):
    body = api(users.worker_a).get("/api/places/").json()
    names = {row["name"]: row for row in body["results"]}
    assert set(names) == {"幸福里小区北门", "好又多超市"}
    gate = names["幸福里小区北门"]
    assert gate["scan_url"].endswith(f"/c/{places.gate.code}")
    assert gate["contact_phone_masked"] == "139****0001"
    assert PHONE not in str(body)


def test_the_poster_of_an_approved_place_is_a_pdf_and_a_pending_one_has_none(users, places):
    client = api(users.worker_a)
    poster = client.get(f"/api/places/{places.gate.pk}/poster/")
    assert poster.status_code == 200
    assert poster["Content-Type"] == "application/pdf" and poster.content.startswith(b"%PDF")
    refused = client.get(f"/api/places/{places.pending.pk}/poster/")
    assert refused.status_code == 409 and "已启用" in refused.json()["detail"]


def test_creating_a_place_validates_the_phone_and_the_scope(users, places, district):
    client = api(users.worker_a)
    data = {"name": "新开药店", "kind": PlaceKind.VENUE, "area": district.community_a.pk, "address": "文化路3号",
            "contact_name": "李明", "contact_phone": "12345"}
    bad = client.post("/api/places/", data, format="json")
    assert bad.status_code == 400 and "手机号码" in str(bad.json())
    outside = client.post("/api/places/", {**data, "contact_phone": PHONE, "area": district.community_b.pk},
                          format="json")
    assert outside.status_code == 400
    assert not Place.objects.filter(name="新开药店").exists()
    made = client.post("/api/places/", {**data, "contact_phone": PHONE}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["state"] == PlaceState.APPROVED and made.json()["scan_url"]


def test_the_leader_reads_the_list(users, places):
    assert api(users.leader).get("/api/places/").status_code == 200


def test_a_place_cannot_be_linked_to_a_compound_or_grid_of_another_area(users, places, district):
    # The officer sees both communities of 东风街道; the place is in 新华社区, the compound and grid in 幸福里社区.
    client = api(users.officer)
    data = {"name": "新华社区北门", "kind": PlaceKind.COMPOUND_GATE, "area": district.community_c.pk,
            "compound": district.compound_a.pk, "grid": district.grid_a1.pk, "address": "文化路3号",
            "contact_name": "李明", "contact_phone": PHONE}
    refused = client.post("/api/places/", data, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"compound": ["所选小区/楼院不在“新华社区”"], "grid": ["所选网格不在“新华社区”"]}
    assert not Place.objects.filter(name="新华社区北门").exists()
    made = client.post("/api/places/", {**data, "area": district.community_a.pk}, format="json")
    assert made.status_code == 201, made.json()
