"""Overrides: a reason and a note, a second approver (never the requester), expiry, audit, pages, API, report."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.healthcode import services
from fangkong.healthcode.models import Colour, HealthStatus, Override, OverrideState
from tests.conftest import export_through_page
from tests.healthcode.helpers import screen
from tests.passes.office_helpers import staff_user


@pytest.fixture
def approver(district):
    from fangkong.accounts.roles import Role

    return staff_user("admin2", Role.DISTRICT_ADMIN, district.district, full_name="区管理员二")


def request(person, user, **fields):
    values = {"colour": Colour.GREEN, "reason": "data_error", "note": "身份证号录入错误，已核实", "days": 7, **fields}
    return services.request_override(person, user=user, **values)


def colour(person):
    return services.status_for(person).colour


def test_request_approve_expire_and_back(district, users, approver):
    person = district.person_a
    screen(person, "close_contact", users.worker_a)
    services.recompute([person.pk])
    assert colour(person) == Colour.RED

    override = request(person, users.admin)
    assert override.state == OverrideState.PENDING
    services.recompute([person.pk])
    assert colour(person) == Colour.RED  # pending changes nothing

    services.approve(override, approver, "协查核实无误")
    status = HealthStatus.objects.get(person=person)
    assert (status.colour, status.computed_colour, status.override_id) == (Colour.GREEN, Colour.RED, override.pk)
    assert status.reasons[0].startswith("人工赋码绿码：数据错误更正，身份证号录入错误，已核实")
    decision = AuditEvent.objects.get(object_type="healthcode.Override", object_id=str(override.pk),
                                      changes__decision="approve")
    assert decision.actor == approver and decision.changes["note"] == "协查核实无误"

    # After expiry the gate already reads the rules' colour; the hourly job then writes it down.
    later = override.expires_at + datetime.timedelta(minutes=1)
    assert services.effective_colour(status, later) == Colour.RED
    assert services.refresh(now=later) == (1, 1)
    override.refresh_from_db()
    assert override.state == OverrideState.EXPIRED
    assert (colour(person), HealthStatus.objects.get(person=person).override_id) == (Colour.RED, None)


def test_nobody_approves_their_own_request_not_even_the_district_admin_or_a_superuser(district, users):
    from fangkong.accounts.models import User

    override = request(district.person_a, users.admin, colour=Colour.RED, reason="tracing")
    with pytest.raises(ValidationError) as error:
        services.approve(override, users.admin, "同意")
    assert error.value.messages == ["不能审批自己提交的人工赋码申请，请由另一位审批人审批"]
    root = User.objects.create_superuser("root", password="x-Long-enough-1", area=district.district)
    own = request(district.person_b, root)
    with pytest.raises(ValidationError):
        services.approve(own, root, "同意")
    for o in (override, own):
        o.refresh_from_db()
        assert (o.state, o.decided_by) == (OverrideState.PENDING, None)
    assert services.status_for(district.person_a).colour == Colour.GREEN


def test_only_approvers_decide_and_only_once(district, users, approver):
    override = request(district.person_a, users.worker_a)
    with pytest.raises(PermissionDenied):
        services.approve(override, users.officer, "同意")
    with pytest.raises(ValidationError) as error:
        services.reject(override, approver, "  ")
    assert error.value.message_dict == {"decision_note": ["请填写审批意见"]}
    services.reject(override, approver, "依据不足")
    with pytest.raises(ValidationError):
        services.approve(override, users.admin, "同意")
    override.refresh_from_db()
    assert (override.state, override.decided_by) == (OverrideState.REJECTED, approver)


def test_a_request_needs_a_reason_a_note_and_a_short_expiry(district, users):
    with pytest.raises(ValidationError) as error:
        request(district.person_a, users.admin, reason="", note=" ", days=None)
    assert error.value.message_dict == {"reason": ["请从列表中选择原因类别"],
                                        "note": ["请填写具体说明（依据、文号或情况）"],
                                        "expires_at": ["请填写失效时间"]}
    with pytest.raises(ValidationError) as error:
        request(district.person_a, users.admin, days=None, expires_at=timezone.now() + datetime.timedelta(days=30))
    assert error.value.message_dict == {"expires_at": ["人工赋码最长有效 14 天"]}
    assert not Override.objects.exists()


def test_the_pages_request_queue_approve_and_show_the_new_colour(district, users, approver, client_for):
    person = district.person_a
    screen(person, "close_contact", users.worker_a)
    officer = client_for(users.officer)
    page = officer.get(f"/health-code/persons/{person.pk}/")
    assert page.status_code == 200 and 'data-colour="red"' in page.content.decode()
    # Refused with the reasons next to the fields, nothing saved.
    bad = officer.post(f"/health-code/overrides/new/?person={person.pk}", {"person": person.pk, "colour": "green",
                                                                          "reason": "", "note": "", "days": "30"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "请从列表中选择原因类别" in text and "请填写具体说明" in text and not Override.objects.exists()
    done = officer.post(f"/health-code/overrides/new/?person={person.pk}", {
        "person": person.pk, "colour": "green", "reason": "isolation_done", "note": "集中隔离期满，解除证明 2026-118号",
        "days": "7"})
    assert done.status_code == 302 and done["Location"] == f"/health-code/persons/{person.pk}/"
    override = Override.objects.get()
    assert override.requested_by == users.officer

    admin = client_for(approver)
    queue = admin.get("/health-code/overrides/").content.decode()
    assert f'id="override-{override.pk}"' in queue and "集中隔离期满" in queue
    assert admin.post(f"/health-code/overrides/{override.pk}/decide/", {"decision": "approve"}).status_code == 302
    override.refresh_from_db()
    assert override.state == OverrideState.PENDING  # no note, no decision
    admin.post(f"/health-code/overrides/{override.pk}/decide/", {"decision": "approve", "decision_note": "同意"})
    override.refresh_from_db()
    assert (override.state, override.decided_by) == (OverrideState.APPROVED, approver)
    assert 'data-colour="green"' in officer.get(f"/health-code/persons/{person.pk}/").content.decode()


def test_scope_applies_to_pages_and_api(district, users, client_for):
    override = request(district.person_b, users.worker_b)
    worker_a = client_for(users.worker_a)
    assert worker_a.get(f"/health-code/persons/{district.person_b.pk}/").status_code == 404
    assert worker_a.get(f"/health-code/overrides/new/?person={district.person_b.pk}").status_code == 404
    assert worker_a.get(f"/api/health-codes/{district.person_b.pk}/").status_code == 404
    assert worker_a.get(f"/api/health-codes/overrides/{override.pk}/").status_code == 404
    assert worker_a.get("/api/health-codes/overrides/").json()["count"] == 0
    assert client_for(users.admin).get("/api/health-codes/overrides/").json()["count"] == 1
    assert client_for(users.grid_worker).get("/health-code/overrides/").status_code == 403


def test_the_api_requests_and_a_different_approver_approves(district, users, approver, client_for):
    person = district.person_a
    screen(person, "fever", users.worker_a)
    api = client_for(users.admin)
    status = api.get(f"/api/health-codes/{person.pk}/").json()
    assert (status["colour"], status["person_name"]) == ("yellow", person.name_masked)
    assert status["reasons"][0].startswith("重点人员：发热人员")
    refused = api.post("/api/health-codes/overrides/", {"person": person.pk, "colour": "green", "note": "复检阴性"},
                       content_type="application/json")
    assert refused.status_code == 400 and refused.json()["reason"] == ["请从列表中选择原因类别"]
    expires = (timezone.now() + datetime.timedelta(days=3)).isoformat()
    created = api.post("/api/health-codes/overrides/", {
        "person": person.pk, "colour": "green", "reason": "retest_negative", "note": "单管复检阴性",
        "expires_at": expires}, content_type="application/json")
    assert created.status_code == 201 and created.json()["state"] == "pending"
    pk = created.json()["id"]
    self_approval = api.post(f"/api/health-codes/overrides/{pk}/approve/", {"note": "同意"},
                             content_type="application/json")
    assert self_approval.status_code == 403
    assert self_approval.json()["detail"] == "不能审批自己提交的人工赋码申请，请由另一位审批人审批"
    assert client_for(users.officer).post(f"/api/health-codes/overrides/{pk}/approve/", {"note": "同意"},
                                          content_type="application/json").status_code == 403
    approved = client_for(approver).post(f"/api/health-codes/overrides/{pk}/approve/", {"note": "同意"},
                                         content_type="application/json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert api.get(f"/api/health-codes/{person.pk}/").json()["colour"] == "green"


def test_the_report_filters_and_exports_an_audited_xlsx(district, users, approver, client_for, xlsx):
    first = request(district.person_a, users.worker_a, note="=HYPERLINK(\"x\")")
    services.approve(first, approver, "同意")
    request(district.person_b, users.worker_b, colour=Colour.RED, reason="tracing", note="流调判定")
    admin = client_for(users.admin)
    page = admin.get("/health-code/overrides/report/", {"reason": "tracing"}).content.decode()
    assert "流调判定" in page and "HYPERLINK" not in page
    # The report's link starts an export job; its page offers the file.
    content = export_through_page(admin, "/health-code/overrides/report.xlsx", {"user": "区管理员二"}, method="get")
    rows = xlsx.rows(content)
    assert rows[0][:3] == ["申请时间", "姓名", "证件号码"] and len(rows) == 3
    assert rows[1][1] == district.person_a.name and rows[1][2] == district.person_a.id_number_masked
    assert rows[1][6] == "=HYPERLINK(\"x\")" and rows[1][10] == "区管理员二"
    assert rows[2][0].startswith("导出人：") and rows[2][0].endswith("共 1 条  申请人或审批人：区管理员二")
    export = AuditEvent.objects.get(action="export", object_type="healthcode.Override")
    assert export.actor == users.admin and export.changes["rows"] == 1
    assert export.changes["filters"]["user"] == "区管理员二"
    assert client_for(users.leader).get("/health-code/overrides/report.xlsx").status_code == 403


def test_the_hourly_command_expires_overrides(district, users, approver):
    override = request(district.person_a, users.admin, days=1)
    services.approve(override, approver, "同意")
    Override.objects.filter(pk=override.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    from io import StringIO

    out = StringIO()
    call_command("refresh_health_codes", stdout=out)
    assert "人工赋码到期 1 条" in out.getvalue()
    assert Override.objects.get().state == OverrideState.EXPIRED


def test_an_officer_who_cannot_decide_is_told_who_can(district, users, approver, client_for):
    request(district.person_a, users.officer)
    queue = client_for(users.officer).get("/health-code/overrides/").content.decode()
    assert 'id="who-decides"' in queue and "没有审批权限" in queue
    assert "区级管理员" in queue and "区管理员" in queue and "区管理员二" in queue
    assert 'name="decision"' not in queue  # no buttons, and now the page says why


def test_an_approver_alone_in_the_district_is_warned_that_their_own_requests_cannot_be_decided(
        district, users, client_for):
    queue = client_for(users.admin).get("/health-code/overrides/").content.decode()
    assert "没有其他审批人" in queue
    from fangkong.accounts.roles import Role

    staff_user("admin2", Role.DISTRICT_ADMIN, district.district, full_name="区管理员二")
    assert "没有其他审批人" not in client_for(users.admin).get("/health-code/overrides/").content.decode()
