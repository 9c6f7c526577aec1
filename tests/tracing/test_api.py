"""The tracing API with the names the checks rely on, and the person filters of screenings and isolations."""

import datetime

from django.utils import timezone

from fangkong.isolation.models import IsolationOrder
from fangkong.screening.models import Category, Screening
from fangkong.tracing.models import Trace

from .conftest import stay

JSON = "application/json"


def test_open_a_trace_read_visits_and_contacts_act_twice_and_filter_by_person(district, users, scene, client_for):
    neighbour = district.person_a_neighbour
    stay(neighbour, scene.market, scene.at + datetime.timedelta(minutes=5), 40)
    api = client_for(users.officer)
    opened = api.post("/api/traces/", {"case": scene.case.pk, "onset": timezone.localdate().isoformat()},
                      content_type=JSON)
    assert opened.status_code == 201, opened.content
    trace = opened.json()["id"]
    visits = api.get(f"/api/traces/{trace}/visits/").json()
    assert [(v["place"], v["end_assumed"]) for v in visits] == [(scene.market.pk, False)]
    contacts = api.get(f"/api/traces/{trace}/contacts/").json()
    assert contacts[0]["person"] == neighbour.pk and contacts[0]["kind"] == "co_location"
    assert contacts[0]["place"] == scene.market.pk and contacts[0]["overlap_minutes"] == 40

    close = Category.objects.get(code="close_contact")
    body = {"persons": [neighbour.pk], "category": close.pk, "isolation_kind": "centralized"}
    first = api.post(f"/api/traces/{trace}/act/", body, content_type=JSON)
    assert first.status_code == 200 and first.json() == {"screenings": 1, "orders": 1, "tasks": 1, "already": 0}
    second = api.post(f"/api/traces/{trace}/act/", body, content_type=JSON)
    assert second.json() == {"screenings": 0, "orders": 0, "tasks": 0, "already": 1}

    screenings = api.get("/api/screenings/", {"person": neighbour.pk}).json()["results"]
    assert [s["person"] for s in screenings] == [neighbour.pk]
    assert api.get("/api/screenings/", {"person": scene.case.pk}).json()["results"] == []
    orders = api.get("/api/isolations/", {"person": neighbour.pk}).json()["results"]
    assert [(o["person"], o["kind"], o["source"]) for o in orders] == [(neighbour.pk, "centralized", "tracing")]


def test_bad_input_gets_a_chinese_message_and_writes_nothing(district, users, scene, client_for):
    api = client_for(users.officer)
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    refused = api.post("/api/traces/", {"case": scene.case.pk, "onset": future}, content_type=JSON)
    assert refused.status_code == 400 and "不能晚于今天" in refused.json()["onset"][0]
    refused = api.post("/api/traces/", {"case": district.person_b.pk, "onset": timezone.localdate().isoformat()},
                       content_type=JSON)
    assert refused.status_code == 400 and "不在您的管辖范围内" in refused.json()["case"][0]
    assert not Trace.objects.exists()

    stay(district.person_b, scene.market, scene.at, 30)  # community B: another subdistrict
    trace = api.post("/api/traces/", {"case": scene.case.pk, "onset": timezone.localdate().isoformat()},
                     content_type=JSON).json()["id"]
    close = Category.objects.get(code="close_contact")
    refused = api.post(f"/api/traces/{trace}/act/", {"persons": [district.person_b.pk], "category": close.pk,
                                                     "isolation_kind": "home"}, content_type=JSON)
    assert refused.status_code == 400 and "不在您的管辖范围内" in refused.json()["persons"][0]
    refused = api.post(f"/api/traces/{trace}/visits/", {"place": 999999, "start": timezone.now().isoformat()},
                       content_type=JSON)
    assert refused.status_code == 400 and "没有这个场所" in refused.json()["place"][0]
    assert not Screening.objects.exists() and not IsolationOrder.objects.exists()


def test_a_trace_of_another_area_reads_as_missing(district, users, scene, client_for):
    trace = client_for(users.officer).post("/api/traces/", {"case": scene.case.pk,
                                                            "onset": timezone.localdate().isoformat()},
                                           content_type=JSON).json()["id"]
    assert client_for(users.worker_b).get(f"/api/traces/{trace}/contacts/").status_code == 404
    assert client_for(users.worker_a).get(f"/api/traces/{trace}/contacts/").status_code == 200
    refused = client_for(users.worker_a).post(f"/api/traces/{trace}/act/", {}, content_type=JSON)
    assert refused.status_code == 403
