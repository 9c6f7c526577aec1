"""Isolation orders: one active per person, dates that make sense, scope, audit, the health code and the gate."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.healthcode.models import Colour, HealthStatus
from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, Kind, KindDefault, State
from fangkong.passes.models import Verdict
from fangkong.passes.verdict import gate_verdict
from tests.conftest import declare
from tests.isolation.conftest import days_ago, isolate
from tests.passes.office_helpers import make_place


def test_a_home_isolation_turns_the_code_red_and_every_gate_denies_saying_isolation(district, users):
    person = district.person_a
    order = isolate(person, users.worker_a)
    assert (order.state, order.area, order.grid) == (State.ISOLATING, district.community_a, district.grid_a1_group)
    assert order.planned_end == order.start + datetime.timedelta(days=14)
    status = HealthStatus.objects.get(person=person)
    assert (status.colour, status.isolation) == (Colour.RED, Kind.HOME)
    assert any("居家隔离中" in reason for reason in status.reasons)
    for place in (make_place(district.community_a, "幸福里小区北门"), make_place(district.community_b, "李庄村卡点")):
        decision = gate_verdict(person, place, timezone.now(), declaration=declare(person))
        assert decision.verdict == Verdict.DENY
        assert any("隔离管控（居家隔离）" in reason for reason in decision.reasons)


def test_home_health_monitoring_is_yellow_and_still_denied(district, users):
    person = district.person_b
    isolate(person, users.worker_b, kind=Kind.HOME_MONITORING)
    status = HealthStatus.objects.get(person=person)
    assert (status.colour, status.isolation) == (Colour.YELLOW, Kind.HOME_MONITORING)
    decision = gate_verdict(person, make_place(district.community_b, "李庄村卡点"), timezone.now(),
                            declaration=declare(person))
    assert decision.verdict == Verdict.DENY and any("居家健康监测" in r for r in decision.reasons)


def test_the_planned_end_follows_the_days_a_district_admin_sets(district, users):
    services.set_kind_default(Kind.HOME, days=7, user=users.admin)
    assert isolate(district.person_a, users.worker_a).planned_end == timezone.localdate() + datetime.timedelta(days=7)
    with pytest.raises(PermissionDenied):
        services.set_kind_default(Kind.HOME, days=10, user=users.worker_a)
    with pytest.raises(ValidationError) as error:
        services.set_kind_default(Kind.HOME, days=0, user=users.admin)
    assert "隔离天数应为 1 到 60 之间的整数" in str(error.value)
    assert KindDefault.objects.get(kind=Kind.HOME).days == 7


def test_a_second_active_order_for_the_same_person_is_refused_and_nothing_written(district, users):
    isolate(district.person_a, users.worker_a)
    before = (IsolationOrder.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as error:
        isolate(district.person_a, users.worker_a, kind=Kind.CENTRALIZED)
    assert "已有未解除的隔离，请勿重复下达" in str(error.value)
    assert (IsolationOrder.objects.count(), AuditEvent.objects.count()) == before


def test_the_database_refuses_a_second_active_order_even_past_the_service(district, users):
    from django.db import IntegrityError, transaction

    order = isolate(district.person_a, users.worker_a)
    order.pk, order.verification_code, order.monitoring_token = None, "X1", "Y1"
    with pytest.raises(IntegrityError), transaction.atomic():
        order.save()


def test_planned_end_before_start_is_refused(district, users):
    with pytest.raises(ValidationError) as error:
        services.order_isolation(district.person_a, kind=Kind.HOME, user=users.worker_a, reason="密接",
                                 start=timezone.localdate(), planned_end=days_ago(1))
    assert "计划解除日期不能早于开始日期" in str(error.value)
    assert not IsolationOrder.objects.exists()
    assert HealthStatus.objects.filter(person=district.person_a, isolation="").count() in (0, 1)


def test_a_worker_cannot_order_a_person_of_another_community(district, users):
    with pytest.raises(ValidationError) as error:
        isolate(district.person_b, users.worker_a)
    assert "没有这个人员，或不在您的管辖范围内" in str(error.value)
    assert not IsolationOrder.objects.exists()


def test_every_change_writes_an_audit_row_by_the_acting_user(district, users, negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    negative_results(district.person_a, 0, 1)
    services.request_release(order, user=users.worker_a)
    rows = AuditEvent.objects.filter(object_type="isolation.IsolationOrder", object_id=str(order.pk)).order_by("id")
    assert [(row.action, row.actor) for row in rows] == [("create", users.worker_a), ("update", users.worker_a)]
    assert rows[1].changes["state"] == [State.ISOLATING, State.RELEASED]


def test_an_order_for_a_later_day_starts_when_its_day_comes(district, users):
    order = isolate(district.person_a, users.worker_a, start_days_ago=-2)
    assert order.state == State.ORDERED
    assert HealthStatus.objects.get(person=district.person_a).isolation == ""
    later = timezone.now() + datetime.timedelta(days=2)
    assert services.start_due(now=later) == 1
    order.refresh_from_db()
    assert order.state == State.ISOLATING
    assert HealthStatus.objects.get(person=district.person_a).isolation == Kind.HOME


def test_release_on_the_planned_end_day_is_at_once_and_the_code_turns_green(district, users, negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    negative_results(district.person_a, 0, 1)
    services.request_release(order, user=users.worker_a)
    order.refresh_from_db()
    assert (order.state, order.ended_on) == (State.RELEASED, timezone.localdate())
    status = HealthStatus.objects.get(person=district.person_a)
    assert (status.colour, status.isolation) == (Colour.GREEN, "")


def test_early_release_needs_a_reason_and_a_second_approver(district, users, sites):
    order = isolate(district.person_a, users.worker_a, start_days_ago=3)
    with pytest.raises(ValidationError) as error:
        services.request_release(order, user=users.admin)
    assert "提前解除须填写原因并由另一人审批" in str(error.value)
    services.request_release(order, user=users.admin, reason="确诊排除，疾控通知解除")
    order.refresh_from_db()
    assert order.state == State.ISOLATING and order.release_pending
    with pytest.raises(ValidationError) as error:
        services.approve_release(order, user=users.admin)
    assert "不能审批自己提交的解除申请" in str(error.value)
    with pytest.raises(PermissionDenied):
        services.approve_release(order, user=users.worker_a)
    order.refresh_from_db()
    assert order.state == State.ISOLATING
    services.approve_release(order, user=sites.approver)
    order.refresh_from_db()
    assert (order.state, order.release_approved_by) == (State.RELEASED, sites.approver)
    assert HealthStatus.objects.get(person=district.person_a).isolation == ""


def test_cancel_and_transfer_to_hospital_need_a_reason(district, users):
    order = isolate(district.person_a, users.worker_a)
    with pytest.raises(ValidationError) as error:
        services.change_state(order, State.CANCELLED, user=users.worker_a)
    assert "请填写原因" in str(error.value)
    services.change_state(order, State.TRANSFERRED, user=users.worker_a, reason="发热，送定点医院")
    order.refresh_from_db()
    assert order.state == State.TRANSFERRED
    # Ended: a new order is possible again.
    assert isolate(district.person_a, users.worker_a).state == State.ISOLATING


def test_bulk_order_is_all_or_nothing_with_row_errors(district, users):
    isolate(district.person_a_neighbour, users.worker_a)
    persons = [district.person_a, district.person_a_neighbour, district.person_b]
    with pytest.raises(ValidationError) as error:
        services.bulk_order(persons, kind=Kind.HOME, user=users.worker_a, reason="同楼栋密接")
    messages = error.value.message_dict["persons"]
    assert any(m.startswith("第 2 行") and "已有未解除的隔离" in m for m in messages)
    assert any(m.startswith("第 3 行") and "不在您的管辖范围内" in m for m in messages)
    assert IsolationOrder.objects.count() == 1
    orders = services.bulk_order([district.person_a, district.person_a_other_grid], kind=Kind.HOME,
                                 user=users.worker_a, reason="同楼栋密接")
    assert len(orders) == 2
    assert set(HealthStatus.objects.filter(isolation=Kind.HOME).values_list("person_id", flat=True)) == {
        district.person_a.pk, district.person_a_other_grid.pk, district.person_a_neighbour.pk}
    assert AuditEvent.objects.filter(object_type="isolation.IsolationOrder", action="create").count() == 3


def test_scope_a_worker_sees_only_orders_of_their_community(district, users):
    isolate(district.person_a, users.worker_a)
    isolate(district.person_b, users.worker_b)
    assert list(IsolationOrder.objects.visible_to(users.worker_a).values_list("person", flat=True)) == [
        district.person_a.pk]
    assert IsolationOrder.objects.visible_to(users.admin).count() == 2


def test_release_is_proposed_once_the_days_are_done_and_the_kinds_negative_tests_are_in(district, users,
                                                                                        negative_results):
    done = isolate(district.person_a, users.worker_a, start_days_ago=14)
    one_test = isolate(district.person_a_neighbour, users.worker_a, start_days_ago=14)
    early = isolate(district.person_a_other_grid, users.worker_a, start_days_ago=3)
    negative_results(district.person_a, 0, 1)  # two days, within the window of 3 days (the default)
    negative_results(district.person_a_neighbour, 0)  # one day only: twice the same day counts once
    negative_results(district.person_a_neighbour, 0)
    negative_results(district.person_a_other_grid, 0, 1)
    assert list(services.release_proposals(users.worker_a)) == [done]
    assert services.release_tests(done) == (2, 2) and services.release_tests(one_test) == (1, 2)
    assert early not in services.release_proposals(users.worker_a)
    assert list(services.release_proposals(users.worker_b)) == []
    # What a district admin sets decides: one test is enough for home isolation now
    services.set_kind_default(Kind.HOME, release_tests=1, user=users.admin)
    assert list(services.release_proposals(users.worker_a)) == [done, one_test]


def test_negatives_before_the_start_or_outside_the_window_do_not_count(district, users, negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    negative_results(district.person_a, 15, 5, 4)  # before the start; after it but not in the last 3 days
    assert services.release_tests(order) == (0, 2) and not services.release_proposals(users.worker_a).exists()
    services.set_kind_default(Kind.HOME, release_window_days=6, user=users.admin)
    assert services.release_tests(order) == (2, 2)
    assert list(services.release_proposals(users.worker_a)) == [order]
