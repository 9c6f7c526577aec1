"""Closed loop (闭环管理): employees inside may not leave through the gates (the verdict says why, on every
channel that records an exit), on-site testing through the testing app, deliveries at the gate. Problems
(问题收集): reported, taken, answered, closed, timed, and on the officers' home page by age."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from fangkong.accounts import tokens
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.enterprises import services
from fangkong.enterprises.models import Delivery, Problem, ProblemState, State
from fangkong.passes import services as passes
from fangkong.passes.models import Declaration, Passage, Proof, Verdict
from fangkong.testing.models import Campaign
from tests.conftest import make_user
from tests.enterprises.conftest import hire

NO = {"visited_risk_area": False, "has_symptoms": False, "had_contact": False}


@pytest.fixture
def closed(district, firms, users):
    firms.factory.state = State.APPROVED
    firms.factory.save()
    worker = hire(firms.factory, district.person_a, firms.boss).person
    Declaration.objects.create(person=worker, consent_version="test", **NO)
    services.set_closed_loop(firms.factory, on=True, reason="园区出现阳性病例", user=users.worker_a)
    return worker


def _exit_by_phone(gate, person):
    device = passes.add_to_device(None, person, "本人", proof=Proof.SMS)
    phone = Client()
    phone.cookies[passes.DEVICE_COOKIE] = passes.device_cookie(device)
    phone.post(f"/c/{gate.code}/pass", {"person": [person.pk], "direction": "out", "token": uuid.uuid4().hex})


def _exit_at_the_station(gate, person, guard):
    station = Client()
    station.force_login(guard)
    station.post(f"/station/{gate.pk}/assist/", {
        "id_type": "resident_id", "id_number": person.id_number, "name": person.name, "phone": "",
        "direction": "out", "consent": "on", "token": uuid.uuid4().hex, **{k: "no" for k in NO}})


def _exit_by_api(gate, person, guard):
    # A guard's app names only who passed this gate lately: the employee came in this morning.
    Passage.objects.create(person=person, place=gate, area_id=gate.area_id, verdict=Verdict.ALLOW,
                           at=timezone.now() - datetime.timedelta(hours=3), channel="scan", idempotency_key="came-in")
    return Client().post("/api/passages/", {"person": person.pk, "place": gate.pk, "direction": "out", **NO},
                  content_type="application/json",
                  headers={"Authorization": f"Token {tokens.issue(guard, verified=False)[1]}",
                           "Idempotency-Key": uuid.uuid4().hex})


@pytest.mark.parametrize("channel", [_exit_by_phone, _exit_at_the_station, _exit_by_api])
def test_an_employee_may_not_leave_an_enterprise_in_closed_loop(district, firms, closed, channel):
    guard = make_user("gate_guard", Role.CHECKPOINT_STAFF, district.community_a)
    firms.gate.staff.add(guard)
    args = (firms.gate, closed) if channel is _exit_by_phone else (firms.gate, closed, guard)
    answer = channel(*args)
    passage = Passage.objects.filter(person=closed, direction="out").first()
    assert passage is not None, getattr(answer, "content", b"")
    assert passage.direction == "out" and passage.verdict == Verdict.DENY
    assert any("闭环管理中，职工不能离开" in reason for reason in passage.reasons)


def test_entering_is_allowed_and_leaving_is_again_once_the_loop_is_lifted(district, firms, closed, users):
    def scan(direction, key):
        return passes.record_passage(closed, passes.place_by_pk(firms.gate.pk), channel="scan", idempotency_key=key,
                                     direction=direction)

    assert scan("in", "in-1").verdict == Verdict.ALLOW
    assert scan("out", "out-1").verdict == Verdict.DENY
    services.set_closed_loop(firms.factory, on=False, user=users.worker_a)
    assert scan("out", "out-2").verdict == Verdict.ALLOW
    assert AuditEvent.objects.filter(object_type="enterprises.Enterprise", object_id=str(firms.factory.pk),
                                     actor=users.worker_a).count() == 2


def test_closed_loop_needs_a_reason_and_an_officer(firms, users):
    with pytest.raises(ValidationError):
        services.set_closed_loop(firms.factory, on=True, reason="", user=users.worker_a)
    with pytest.raises(PermissionDenied):
        services.set_closed_loop(firms.factory, on=True, reason="自行闭环", user=firms.boss)
    firms.factory.refresh_from_db()
    assert not firms.factory.closed_loop


def test_on_site_testing_is_a_campaign_of_the_testing_app_at_the_enterprise(firms, closed, users, client_for):
    today = timezone.localdate()
    client_for(users.worker_a).post(f"/enterprises/{firms.factory.pk}/testing/", {
        "starts_on": today.isoformat(), "ends_on": (today + datetime.timedelta(days=6)).isoformat(),
        "every": "1"})
    firms.factory.refresh_from_db()
    campaign = Campaign.objects.get(pk=firms.factory.testing_campaign_id)
    assert campaign.area == firms.factory.area and campaign.rounds.count() == 7
    assert campaign.sites.get().name == "幸福里食品厂"


def test_deliveries_are_logged_at_the_gate(district, firms, closed, client_for):
    guard = make_user("gate_guard", Role.CHECKPOINT_STAFF, district.community_a)
    firms.gate.staff.add(guard)
    services.log_delivery(firms.factory, goods="面粉 20 袋", plate="豫a12345", driver="张师傅", place=firms.gate,
                          user=guard)
    client_for(firms.boss).post(f"/enterprises/{firms.factory.pk}/deliveries/", {"goods": "口罩 2 箱",
                                                                                 "place": firms.gate.pk})
    assert list(Delivery.objects.order_by("at").values_list("goods", "plate")) == [("面粉 20 袋", "豫A12345"),
                                                                                   ("口罩 2 箱", "")]
    with pytest.raises(ValidationError):  # the guard's gate is not the other enterprise's
        services.log_delivery(firms.other, goods="钢材", place=firms.gate, user=guard)
    with pytest.raises(PermissionDenied):
        services.log_delivery(firms.other, goods="钢材", user=firms.boss)
    assert Delivery.objects.count() == 2


def test_a_problem_is_taken_answered_and_closed_with_its_times(firms, users, client_for):
    boss = client_for(firms.boss)
    boss.post("/enterprises/problems/", {"enterprise": firms.factory.pk, "kind": "workers", "text": "缺少熟练工 30 人"})
    problem = Problem.objects.get()
    assert problem.state == ProblemState.OPEN and problem.reported_by == firms.boss
    # The enterprise cannot handle its own problem; another enterprise cannot report for this one.
    with pytest.raises(PermissionDenied):
        services.take_problem(problem, user=firms.boss)
    response = client_for(firms.other_boss).post("/enterprises/problems/", {
        "enterprise": firms.factory.pk, "kind": "other", "text": "代报"})
    assert response.status_code == 400 and Problem.objects.count() == 1
    officer = client_for(users.worker_a)
    officer.post(f"/enterprises/problems/{problem.pk}/take/")
    officer.post(f"/enterprises/problems/{problem.pk}/close/")  # not answered yet: refused
    problem.refresh_from_db()
    assert problem.state == ProblemState.TAKEN
    officer.post(f"/enterprises/problems/{problem.pk}/answer/", {"answer": "已对接人社局招聘会"})
    officer.post(f"/enterprises/problems/{problem.pk}/close/")
    problem.refresh_from_db()
    assert problem.state == ProblemState.CLOSED and problem.taken_by == users.worker_a
    assert problem.response_time is not None and problem.closing_time >= problem.response_time
    assert services.problem_times(users.worker_a)["closing_hours"] is not None
    assert AuditEvent.objects.filter(object_type="enterprises.Problem", object_id=str(problem.pk)).count() == 4


def test_open_problems_by_age_are_on_the_officers_home_page(firms, users, client_for):
    old = services.report_problem(firms.factory, kind="materials", text="包装膜断货", user=firms.boss)
    Problem.objects.filter(pk=old.pk).update(reported_at=timezone.now() - datetime.timedelta(days=4))
    services.report_problem(firms.factory, kind="financing", text="流动资金紧张", user=firms.boss)
    home = client_for(users.worker_a).get("/").content.decode()
    assert "2 个企业问题待办结，最久已 4 天" in home
    assert "企业问题待办结" not in client_for(users.worker_b).get("/").content.decode()  # not their area
    page = client_for(users.worker_a).get("/enterprises/problems/").content.decode()
    assert page.index("包装膜断货") < page.index("流动资金紧张")  # oldest first
