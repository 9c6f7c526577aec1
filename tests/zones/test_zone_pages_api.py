"""Zone pages and API: the names the checks rely on, scope, audit through a page, Chinese refusals that write
nothing, the compound filter on households and persons, and the resident's pass page."""

import datetime

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.passes import services as passes
from fangkong.passes.models import Proof
from fangkong.zones.models import ExceptionPass, RiskZone, ZoneKind


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_the_api_draws_changes_lifts_and_lists_in_scope(district, users, client_for):
    officer = client_for(users.officer)
    made = _post(officer, "/api/zones/", {"kind": "sealed", "name": "幸福里小区", "reason": "发现1例阳性",
                                          "compounds": [district.compound_a.pk]})
    assert made.status_code == 201, made.content
    zone = made.json()
    assert zone["kind"] == "sealed" and zone["covers"]["compounds"] == [district.compound_a.pk]
    changed = _post(officer, f"/api/zones/{zone['id']}/change/", {"kind": "controlled", "reason": "连续阴性"})
    assert changed.status_code == 200 and changed.json()["kind"] == "controlled"
    refused = _post(officer, f"/api/zones/{zone['id']}/lift/", {"reason": ""})
    assert refused.status_code == 400 and refused.json()["reason"] == ["请填写解封原因"]
    lifted = _post(officer, f"/api/zones/{zone['id']}/lift/", {"reason": "14天无新增"})
    assert lifted.status_code == 200 and lifted.json()["kind"] == "lifted"
    assert [z["id"] for z in officer.get("/api/zones/").json()["results"]] == [zone["id"]]
    assert client_for(users.worker_b).get("/api/zones/").json()["results"] == []
    assert client_for(users.worker_b).get(f"/api/zones/{zone['id']}/").status_code == 404
    assert AuditEvent.objects.filter(object_type="zones.RiskZone", object_id=str(zone["id"])).count() == 3


def test_the_api_refuses_bad_zones_in_chinese(district, users, client_for, foreign_compound):
    officer = client_for(users.officer)
    nothing = _post(officer, "/api/zones/", {"kind": "sealed", "name": "空", "reason": "阳性"})
    assert nothing.status_code == 400 and nothing.json()["compounds"] == ["请至少选择一个区域、小区、楼栋或户"]
    foreign = _post(officer, "/api/zones/", {"kind": "sealed", "name": "外区", "reason": "阳性",
                                             "compounds": [foreign_compound.pk]})
    assert foreign.status_code == 400 and foreign.json()["compounds"] == ["小区不存在或不在您的管辖范围内"]
    worker = _post(client_for(users.worker_a), "/api/zones/", {"kind": "sealed", "name": "幸福里", "reason": "阳性",
                                                               "compounds": [district.compound_a.pk]})
    assert worker.status_code == 403
    assert not RiskZone.objects.exists()


def test_the_compound_filter_on_households_and_persons(district, users, client_for, foreign_compound):
    client = client_for(users.officer)
    homes = client.get("/api/households/", {"compound": district.compound_a.pk}).json()["results"]
    assert {h["id"] for h in homes} == {district.household_a101.pk, district.household_a102.pk,
                                        district.household_a2_101.pk}
    persons = client.get("/api/persons/", {"compound": district.compound_a.pk}).json()["results"]
    assert {p["id"] for p in persons} == {p.pk for p in district.persons_a}
    assert client.get("/api/persons/", {"compound": foreign_compound.pk}).status_code == 400


def test_an_officer_draws_a_zone_through_the_page(district, users, client_for):
    client = client_for(users.officer)
    assert client.get("/zones/new/").status_code == 200
    refused = client.post("/zones/new/", {"kind": "sealed", "name": "幸福里小区", "reason": ""})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "请填写划定原因" in page and "请至少选择一个区域、小区、楼栋或户" in page and 'value="幸福里小区"' in page
    made = client.post("/zones/new/", {"kind": "sealed", "name": "幸福里小区", "reason": "阳性",
                                       "compounds": [district.compound_a.pk]})
    zone = RiskZone.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/zones/{zone.pk}/"
    detail = client.get(f"/zones/{zone.pk}/").content.decode()
    assert "1号楼" in detail and "2号楼" in detail and "3 人" in detail
    no_confirm = client.post(f"/zones/{zone.pk}/lift/", {"lift_reason": "解封"})
    assert no_confirm.status_code == 422 and "确认解封" in no_confirm.content.decode()
    no_reason = client.post(f"/zones/{zone.pk}/lift/", {"lift_reason": "", "confirm": "yes"})
    assert no_reason.status_code == 422 and "请填写解封原因" in no_reason.content.decode()
    assert client.post(f"/zones/{zone.pk}/change/", {"kind": "controlled", "reason": "阴性"}).status_code == 302
    assert client.post(f"/zones/{zone.pk}/lift/", {"lift_reason": "解封", "confirm": "yes"}).status_code == 302
    zone.refresh_from_db()
    assert zone.kind == ZoneKind.LIFTED
    for url in ("/zones/", "/zones/?kind=all", "/zones/timetable/", "/zones/passes/", "/zones/supply/",
                "/zones/passes/new/", "/zones/supply/new/", "/zones/rules/"):
        assert client.get(url).status_code == 200, url
    assert client_for(users.worker_b).get(f"/zones/{zone.pk}/").status_code == 404


def test_an_exception_pass_through_the_page(district, users, client_for, sealed):
    client = client_for(users.officer)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = {"person": district.numbers["a"], "kind": "dialysis", "reason": "透析",
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    refused = client.post("/zones/passes/new/", form)
    assert refused.status_code == 422 and "结束时间应晚于开始时间" in refused.content.decode()
    assert not ExceptionPass.objects.exists()
    form["ends_at"] = (now + datetime.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    assert client.post("/zones/passes/new/", form).status_code == 302
    assert "透析" in client.get("/zones/passes/").content.decode()
    assert "透析" in client.get(f"/zones/{sealed.pk}/").content.decode()


def test_the_resident_pass_page_says_whether_today_allows_going_out(district, users, client):
    from fangkong.zones import services

    services.create_zone(user=users.officer, kind=ZoneKind.CONTROLLED, name="幸福里小区", reason="阳性",
                         compounds=[district.compound_a.pk])
    device = passes.add_to_device(None, district.person_a, "本人", proof=Proof.SMS)
    client.cookies[passes.DEVICE_COOKIE] = passes.device_cookie(device)
    page = client.get("/my/pass/").content.decode()
    assert "管控区：今日不可出小区" in page and "申请保供" in page


def test_the_supply_api_logs_lists_and_closes_in_scope(district, users, client_for):
    worker = client_for(users.grid_worker)
    empty = _post(worker, "/api/supply-requests/", {"household": district.household_a101.pk, "kind": "food",
                                                    "text": " "})
    assert empty.status_code == 400 and empty.json()["text"] == ["请写明需要什么（例如：大米 10 斤、降压药）"]
    foreign = _post(client_for(users.worker_b), "/api/supply-requests/",
                    {"household": district.household_a101.pk, "kind": "food", "text": "大米"})
    assert foreign.status_code == 400 and "不在您的管辖范围内" in foreign.json()["household"][0]
    made = _post(worker, "/api/supply-requests/", {"household": district.household_a101.pk, "kind": "medical",
                                                   "text": "需要就医"})
    assert made.status_code == 201 and made.json()["urgent"] is True
    item = made.json()["id"]
    assert [r["id"] for r in worker.get("/api/supply-requests/", {"state": "open"}).json()["results"]] == [item]
    assert client_for(users.worker_b).get("/api/supply-requests/").json()["results"] == []
    for step in ("take", "deliver"):
        assert _post(worker, f"/api/supply-requests/{item}/{step}/", {}).status_code == 200
    no_note = _post(worker, f"/api/supply-requests/{item}/close/", {})
    assert no_note.status_code == 400 and "办结说明" in no_note.json()["note"][0]
    closed = _post(worker, f"/api/supply-requests/{item}/close/", {"note": "已陪同就医"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
