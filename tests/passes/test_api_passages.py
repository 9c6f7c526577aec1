"""/api/passages/ and /api/exports/: scoped lists, idempotent recording, Chinese errors, export jobs."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from office_helpers import checkpoint_user, make_place, passage

from fangkong.audit.models import AuditEvent
from fangkong.core.models import ExportJob
from fangkong.passes.models import Channel, Passage, Verdict
from fangkong.people.models import Person
from tests.conftest import declare


def post(client, body, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/passages/", body, content_type="application/json", **headers)


def seen_at(gate, *persons):
    """The persons passed the gate an hour ago (scanned in): the station lists them, so its guard may name them."""
    for person in persons:
        passage(person, gate, at=timezone.now() - timedelta(hours=1))


def api_passages():
    return Passage.objects.filter(channel=Channel.API)


def test_recording_a_known_person_is_idempotent(district, client_for, guard, gate):
    declare(district.person_a)
    seen_at(gate, district.person_a)
    client = client_for(guard)
    body = {"person": district.person_a.pk, "place": gate.pk, "direction": "in", "temperature": "36.6"}
    first = post(client, body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["verdict"] == "allow" and data["channel"] == "api" and data["temperature"] == "36.6"
    assert data["person_id_number"] == district.numbers["a"][:4] + "*" * 10 + district.numbers["a"][-4:]
    again = post(client, body)
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert api_passages().count() == 1
    written = api_passages().get()
    assert written.recorder == guard and written.channel == Channel.API
    assert AuditEvent.objects.filter(object_type="passes.Passage", object_id=str(written.pk)).count() == 1
    # Another key is another passage; the same key from another user is theirs, not this one.
    assert post(client, body, key="key-2").status_code == 201
    assert api_passages().count() == 2


def test_the_same_key_for_a_different_passage_is_a_conflict(district, client_for, guard, gate):
    seen_at(gate, district.person_a, district.person_a_neighbour)
    client = client_for(guard)
    assert post(client, {"person": district.person_a.pk, "place": gate.pk}).status_code == 201
    response = post(client, {"person": district.person_a_neighbour.pk, "place": gate.pk})
    assert response.status_code == 409 and "Idempotency-Key" in response.json()["detail"]
    assert api_passages().count() == 1


def test_recording_a_new_person_registers_them(district, client_for, guard, gate, new_resident_id):
    number = new_resident_id("1950-05-05")
    response = post(client_for(guard), {"name": "周桂芝", "id_number": number, "phone": "13812345678",
                                        "place": gate.pk, "temperature": "36.4", "visited_risk_area": False,
                                        "has_symptoms": False, "had_contact": False})
    assert response.status_code == 201, response.content
    person = Person.objects.with_document("resident_id", number).get()
    assert person.name == "周桂芝" and person.phone == "13812345678"
    assert response.json()["person"] == person.pk and response.json()["verdict"] == "allow"
    assert "phone" not in response.json()


def test_missing_key_bad_temperature_and_bad_numbers_are_explained_in_chinese(
        district, client_for, guard, gate, new_resident_id):
    client = client_for(guard)
    body = {"person": district.person_a.pk, "place": gate.pk, "temperature": "36.5"}
    response = post(client, body, key=None)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
    response = post(client, {**body, "temperature": "45.0"})
    assert response.status_code == 400
    assert response.json()["temperature"] == ["体温应在 34.0 到 43.0 ℃ 之间，请重新测量"]
    response = post(client, {"name": "周桂芝", "id_number": "410105195005050000", "place": gate.pk}, key="k3")
    assert response.status_code == 400 and "身份证号码" in response.json()["id_number"][0]
    response = post(client, {"place": gate.pk}, key="k4")
    assert response.status_code == 400 and "person" in response.json()
    assert Passage.objects.count() == 0


def test_places_outside_the_guards_posts_are_refused(district, client_for, guard, users):
    client = client_for(guard)
    other_gate = make_place(district.community_a, "幸福里小区南门")
    response = post(client, {"person": district.person_a.pk, "place": other_gate.pk})
    assert response.status_code == 403 and response.json()["detail"] == "您不能在该场所登记出入"
    far = make_place(district.community_b, "李庄村口")
    response = post(client, {"person": district.person_a.pk, "place": far.pk}, key="k2")
    assert response.status_code == 404 and response.json()["detail"] == "场所不存在或不在您的管辖范围内"
    # A person outside the recorder's scope cannot be named by id either.
    gate_b = make_place(district.community_b, "李庄村委会")
    response = post(client_for(users.worker_a), {"person": district.person_b.pk, "place": gate_b.pk}, key="k5")
    assert response.status_code == 404
    assert Passage.objects.count() == 0


def test_the_list_is_scoped_and_filtered(district, users, client_for, gate):
    b_gate = make_place(district.community_b, "李庄村口")
    passage(district.person_a, gate, verdict=Verdict.DENY)
    passage(district.person_a_neighbour, gate, temperature=Decimal("36.9"))
    passage(district.person_b, b_gate)
    client = client_for(users.worker_a)
    data = client.get("/api/passages/").json()
    assert data["count"] == 2 and {row["place_name"] for row in data["results"]} == {"幸福里小区北门"}
    assert client.get("/api/passages/", {"verdict": "deny"}).json()["count"] == 1
    assert client.get("/api/passages/", {"person": district.person_a_neighbour.pk}).json()["count"] == 1
    assert client.get("/api/passages/", {"q": district.numbers["a"]}).json()["count"] == 1
    assert client.get("/api/passages/", {"place": b_gate.pk}).json()["count"] == 0
    assert client.get("/api/passages/", {"since": "2020-01-01", "until": "2020-01-02"}).json()["count"] == 0
    bad = client.get("/api/passages/", {"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["since"] == ["日期格式应为 2026-03-06"]
    assert client_for(users.worker_b).get("/api/passages/").json()["count"] == 1
    other = Passage.objects.get(person=district.person_b)
    assert client.get(f"/api/passages/{other.pk}/").status_code == 404


def test_checkpoint_staff_may_record_but_not_list(client_for, guard):
    assert client_for(guard).get("/api/passages/").status_code == 403


def test_an_export_job_through_the_api(district, users, client_for, gate, django_capture_on_commit_callbacks):
    for _ in range(3):
        passage(district.person_a, gate)
    client = client_for(users.worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/exports/", {"place": gate.pk}, content_type="application/json")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    status = client.get(f"/api/exports/{job_id}/").json()
    assert status["status"] == "done" and status["percent"] == 100 and status["processed_rows"] == 3
    assert status["download_url"].endswith(f"/api/exports/{job_id}/download/")
    download = client.get(f"/api/exports/{job_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(download.streaming_content)[:2] == b"PK"
    # Only its creator may see or fetch it.
    assert client_for(users.officer).get(f"/api/exports/{job_id}/").status_code == 404
    assert client_for(users.officer).get(f"/api/exports/{job_id}/download/").status_code == 404
    assert client_for(users.leader).post("/api/exports/", {}, content_type="application/json").status_code == 403
    bad = client.post("/api/exports/", {"until": "soon"}, content_type="application/json")
    assert bad.status_code == 400 and ExportJob.objects.count() == 1


def test_the_schema_documents_passages_and_exports(users, client_for):
    schema = client_for(users.worker_a).get("/api/schema/").content
    assert b"/api/passages/" in schema and b"/api/exports/{id}/download/" in schema
    assert b"Idempotency-Key" in schema


def test_keys_are_per_user(district, client_for, gate):
    declare(district.person_a)
    seen_at(gate, district.person_a)
    first = checkpoint_user("api_guard_1", district.community_a, gate)
    second = checkpoint_user("api_guard_2", district.community_a, gate)
    key = uuid.uuid4().hex
    a = post(client_for(first), {"person": district.person_a.pk, "place": gate.pk}, key=key)
    b = post(client_for(second), {"person": district.person_a.pk, "place": gate.pk}, key=key)
    assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]


def test_checkpoint_staff_name_by_id_only_the_people_their_station_shows(district, client_for, guard, gate):
    """A guard sees no person list: an id of someone who has not passed their gate lately reads and writes
    nothing, however many ids are tried."""
    client = client_for(guard)
    for n, person in enumerate([district.person_a, district.person_b, district.person_c]):
        response = post(client, {"person": person.pk, "place": gate.pk}, key=f"probe-{n}")
        assert response.status_code == 400 and response.json() == {"person": ["人员不存在或不在您的管辖范围内"]}
    passage(district.person_a, gate, at=timezone.now() - timedelta(hours=13))  # before the station's window
    assert post(client, {"person": district.person_a.pk, "place": gate.pk}, key="old").status_code == 400
    assert not api_passages().exists()


def test_answers_to_checkpoint_staff_are_masked_like_their_station_and_workers_see_names(
        district, users, client_for, guard, gate):
    seen_at(gate, district.person_a)
    response = post(client_for(guard), {"person": district.person_a.pk, "place": gate.pk})
    assert response.status_code == 201
    assert response.json()["person_name"] == district.person_a.name_masked != "王秀英"
    assert "王秀英" not in response.content.decode()
    worker = post(client_for(users.worker_a), {"person": district.person_a.pk, "place": gate.pk}, key="w-1")
    assert worker.status_code == 201 and worker.json()["person_name"] == "王秀英"
