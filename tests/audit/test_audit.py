"""The audit log: written by the application for every change and every read of full numbers, never edited."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from fangkong.audit.admin import AuditEventAdmin
from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.audit.services import record
from fangkong.people import services


def person_events(person, action):
    return list(AuditEvent.objects.filter(object_type="people.Person", object_id=str(person.pk), action=action))


def test_an_audit_row_cannot_be_changed_or_deleted(district):
    event = record(AuditAction.EXPORT, object_type="people.Person", object_repr="测试")
    event.object_repr = "改过"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="改过")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.object_repr == "测试"


def test_retention_is_the_only_deletion(district):
    from datetime import timedelta

    from django.utils import timezone

    before = AuditEvent.objects.count()
    assert AuditEvent.objects.purge_older_than(timezone.now() - timedelta(days=1))[0] == 0
    assert AuditEvent.objects.count() == before


def test_the_admin_may_search_the_log_but_not_add_change_or_delete(district, client_for):
    from fangkong.accounts.models import User

    superuser = User.objects.create_superuser("root", password="x-Very-long-pass-1")
    event = record(AuditAction.EXPORT, object_type="people.Person", object_repr="测试")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = AuditEventAdmin(AuditEvent, admin.site)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    client = client_for(superuser)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    response = client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"object_repr": "改过"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.object_repr == "测试"


def test_creating_a_person_writes_a_create_row_without_secrets(district, users, new_resident_id):
    number = new_resident_id("1990-05-20")
    person = services.create_person({"name": "刘德明", "id_number": number, "phone": "13812345678",
                                     "area": district.community_a}, user=users.worker_a)
    [event] = person_events(person, AuditAction.CREATE)
    assert (event.actor, event.actor_name, event.object_repr) == (users.worker_a, "worker_a", "刘*明")
    assert event.changes["name"] == "刘德明" and event.changes["area"] == district.community_a.pk
    for field in ("id_number_encrypted", "id_index", "id_tail4_index", "id_tail6_index", "phone_encrypted",
                  "phone_index", "phone_tail4_index"):
        assert event.changes[field] == "(已加密)", field
    assert number not in str(event.changes) and "13812345678" not in str(event.changes)


def test_updating_a_person_writes_the_changed_field_names(district, users):
    person = district.person_a
    person.refresh_from_db()  # loaded as a page would, so that the log can tell what changed
    services.update_person(person, {"name": "王秀兰", "id_number": district.numbers["a"],
                                    "phone": district.numbers["phone_a"], "area": district.community_a,
                                    "household": district.household_a101}, user=users.worker_a)
    [event] = person_events(person, AuditAction.UPDATE)
    assert event.changes["name"] == ["王秀英", "王秀兰"]
    # The numbers did not change, so the log must not claim they did.
    assert set(event.changes) <= {"name", "updated_at"}

    services.update_person(person, {"name": "王秀兰", "id_number": district.numbers["a"], "phone": "13700001111",
                                    "area": district.community_a, "household": None}, user=users.worker_a)
    latest = person_events(person, AuditAction.UPDATE)[0]
    assert latest.changes["phone_encrypted"] == "(已加密)" and latest.changes["phone_index"] == "(已加密)"
    assert latest.changes["household"] == [district.household_a101.pk, None]
    assert "id_number_encrypted" not in latest.changes
    assert "13700001111" not in str(latest.changes) and district.numbers["phone_a"] not in str(latest.changes)


def test_the_person_page_shows_its_history(district, users, client_for, make_person):
    person = make_person("刘德明", district.community_a, by=users.worker_a)
    page = client_for(users.worker_a).get(f"/people/{person.pk}/").content.decode()
    assert "worker_a" in page and "新建" in page


def test_the_audit_page_is_for_the_district_admin(district, users, client_for):
    record(AuditAction.EXPORT, actor=users.worker_a, object_type="people.Person", object_repr="people.Person × 3")
    response = client_for(users.admin).get("/audit/", {"action": "export"})
    assert response.status_code == 200
    assert [e.action for e in response.context["page_obj"]] == ["export"]
    assert "人员 × 3" in response.content.decode() and "people.Person" not in response.content.decode()
    for who in ("worker_a", "leader", "grid_worker", "officer"):
        assert client_for(getattr(users, who)).get("/audit/").status_code == 403, who


def test_the_audit_page_filters_and_tolerates_bad_dates(district, users, client_for):
    record(AuditAction.EXPORT, actor=users.worker_a, object_type="people.Person", object_repr="导出甲")
    record(AuditAction.EXPORT, actor=users.worker_b, object_type="people.Person", object_repr="导出乙")
    client = client_for(users.admin)
    found = client.get("/audit/", {"q": "worker_b", "action": "export"}).context["page_obj"]
    assert [e.object_repr for e in found] == ["导出乙"]
    for params in ({"since": "2026-02-30"}, {"until": "not-a-date"}, {"action": "nonsense"}):
        assert client.get("/audit/", params).status_code == 200, params


def test_every_row_says_who_and_from_where(district, users, client_for):
    client_for(users.worker_a).post(f"/people/{district.person_a.pk}/reveal/", HTTP_USER_AGENT="测试浏览器")
    event = AuditEvent.objects.get(action=AuditAction.UNMASK)
    assert (event.actor_name, event.ip, event.user_agent) == ("worker_a", "127.0.0.1", "测试浏览器")


def test_a_person_registered_with_an_api_token_is_on_the_tokens_account(district, users, new_resident_id):
    from django.test import Client

    from fangkong.accounts import tokens

    key = tokens.issue(users.worker_a, verified=False)[1]
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").post("/api/persons/", {
        "name": "刘德明", "id_number": new_resident_id(), "area": district.community_a.pk},
        content_type="application/json")
    assert response.status_code == 201
    [event] = AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(response.json()["id"]),
                                        object_type="people.Person")
    assert (event.actor, event.ip) == (users.worker_a, "127.0.0.1")
