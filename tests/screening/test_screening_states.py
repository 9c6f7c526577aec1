"""Screenings as a state machine: who may be put in a category, which state follows which, with a reason, audited."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.screening import services
from fangkong.screening.models import Category, FollowUp, Screening, Source, State, StateChange


@pytest.fixture
def returnee(district):
    return Category.objects.get(code="return_province")


@pytest.fixture
def contact(district):
    return Category.objects.get(code="close_contact")


def test_opening_a_screening_takes_the_persons_community_and_grid_and_the_categorys_plan(
        district, users, returnee):
    screening = services.open_screening(district.person_a, returnee, user=users.grid_worker, origin="北京市朝阳区")
    assert (screening.area, screening.grid) == (district.community_a, district.grid_a1_group)
    assert (screening.state, screening.source, screening.worker) == (
        State.REPORTED, Source.GRID_VISIT, users.grid_worker)
    assert screening.follow_up == returnee.follow_up
    assert screening.control_until == services.today() + datetime.timedelta(days=returnee.follow_up_days)
    event = AuditEvent.objects.get(object_type="screening.Screening", object_id=str(screening.pk))
    assert event.action == AuditAction.CREATE and event.actor == users.grid_worker


def test_a_second_open_screening_in_the_same_category_is_refused_a_closed_one_allows_a_new_one(
        district, users, returnee, contact):
    first = services.open_screening(district.person_a, returnee, user=users.worker_a)
    with pytest.raises(ValidationError) as exc:
        services.open_screening(district.person_a, returnee, user=users.worker_a)
    assert "已在“省外返回人员”类别中管控" in exc.value.message_dict["category"][0]
    services.open_screening(district.person_a, contact, user=users.worker_a)  # another category is fine
    services.change_state(first, State.NOT_FOUND, "登记地址无此人", user=users.worker_a)
    services.open_screening(district.person_a, returnee, user=users.worker_a)
    assert Screening.objects.filter(person=district.person_a).count() == 3


def test_out_of_scope_persons_future_dates_and_foreign_workers_are_refused(district, users, returnee):
    with pytest.raises(ValidationError) as exc:
        services.open_screening(district.person_b, returnee, user=users.worker_a)
    assert exc.value.message_dict["person"] == ["该人员不在您的管辖范围内"]
    with pytest.raises(ValidationError) as exc:
        services.open_screening(district.person_a_other_grid, returnee, user=users.grid_worker)
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.open_screening(district.person_a, returnee, user=users.worker_a,
                                reported_on=services.today() + datetime.timedelta(days=1))
    assert exc.value.message_dict["reported_on"] == ["排查日期不能晚于今天"]
    with pytest.raises(ValidationError) as exc:  # B's worker does not cover a person of A
        services.open_screening(district.person_a, returnee, user=users.worker_a, worker=users.worker_b)
    assert exc.value.message_dict["worker"] == ["该责任人不负责这名人员所在的社区或网格"]
    assert not Screening.objects.exists()


def test_responsible_workers_are_those_whose_area_and_grid_cover_the_person(district, users):
    for_a = set(services.responsible_workers(district.person_a))
    assert {users.admin, users.officer, users.worker_a, users.grid_worker} <= for_a
    assert users.worker_b not in for_a and users.leader not in for_a  # another community; read-only role
    for_other_grid = set(services.responsible_workers(district.person_a_other_grid))
    assert users.worker_a in for_other_grid and users.grid_worker not in for_other_grid


def test_allowed_transitions_write_history_and_audit_and_close_with_a_date(district, users, returnee):
    screening = services.open_screening(district.person_a, returnee, user=users.worker_a)
    services.change_state(screening, State.VERIFIED, " 电话核实身份 ", user=users.worker_a)
    services.change_state(screening, State.UNDER_CONTROL, "已落实居家健康监测", user=users.grid_worker)
    assert screening.closed_on is None
    services.change_state(screening, State.RELEASED, "管控期满，核酸阴性", user=users.worker_a)
    screening.refresh_from_db()
    assert (screening.state, screening.state_reason, screening.closed_on) == (
        State.RELEASED, "管控期满，核酸阴性", services.today())
    assert screening.state_changed_at is not None
    history = list(StateChange.objects.filter(screening=screening).order_by("id").values_list(
        "from_state", "to_state", "reason", "by__username"))
    assert history == [
        ("reported", "verified", "电话核实身份", "worker_a"),
        ("verified", "under_control", "已落实居家健康监测", "grid_worker"),
        ("under_control", "released", "管控期满，核酸阴性", "worker_a"),
    ]
    updates = AuditEvent.objects.filter(object_type="screening.Screening", object_id=str(screening.pk),
                                        action=AuditAction.UPDATE).order_by("id")
    assert [e.changes["state"] for e in updates] == [
        ["reported", "verified"], ["verified", "under_control"], ["under_control", "released"]]
    assert [e.actor for e in updates] == [users.worker_a, users.grid_worker, users.worker_a]


@pytest.mark.parametrize("path, forbidden", [
    ([], State.UNDER_CONTROL),  # reported cannot skip verification
    ([], State.RELEASED),
    ([State.VERIFIED], State.REPORTED),  # no way back
    ([State.VERIFIED, State.RELEASED], State.UNDER_CONTROL),  # closed is final
    ([State.NOT_FOUND], State.VERIFIED),
    ([], "nonsense"),
])
def test_forbidden_transitions_are_refused_and_change_nothing(district, users, returnee, path, forbidden):
    screening = services.open_screening(district.person_a, returnee, user=users.worker_a)
    for state in path:
        services.change_state(screening, state, "按流程", user=users.worker_a)
    before = (StateChange.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.change_state(screening, forbidden, "试一下", user=users.worker_a)
    assert exc.value.message_dict["state"][0].startswith("不能从“")
    assert (StateChange.objects.count(), AuditEvent.objects.count()) == before
    screening.refresh_from_db()
    assert screening.state == (path[-1] if path else State.REPORTED)


def test_a_reason_is_required(district, users, returnee):
    screening = services.open_screening(district.person_a, returnee, user=users.worker_a)
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as exc:
            services.change_state(screening, State.VERIFIED, reason, user=users.worker_a)
        assert exc.value.message_dict == {"reason": ["请填写状态变更原因"]}
    with pytest.raises(ValidationError) as exc:
        services.change_state(screening, State.VERIFIED, "长" * 301, user=users.worker_a)
    assert exc.value.message_dict == {"reason": ["原因不能超过300个字"]}
    screening.refresh_from_db()
    assert screening.state == State.REPORTED and not StateChange.objects.exists()


def test_follow_ups_once_a_day_within_range_and_only_while_open(district, users, returnee):
    screening = services.open_screening(district.person_a, returnee, user=users.grid_worker)
    assert screening in services.overdue(Screening.objects.all())
    with pytest.raises(ValidationError) as exc:
        services.record_follow_up(screening, user=users.grid_worker, temperature="45")
    assert exc.value.message_dict["temperature"] == ["体温应在 34.0 到 43.0 ℃ 之间"]
    follow_up = services.record_follow_up(screening, user=users.grid_worker, temperature="36.55", note="电话随访")
    assert str(follow_up.temperature) == "36.6"
    screening.refresh_from_db()
    assert screening.last_follow_up_on == services.today()
    assert screening not in services.overdue(Screening.objects.all())
    assert AuditEvent.objects.filter(object_type="screening.FollowUp", object_id=str(follow_up.pk),
                                     actor=users.grid_worker).exists()
    with pytest.raises(ValidationError) as exc:
        services.record_follow_up(screening, user=users.grid_worker)
    assert "已记录过跟进" in exc.value.message_dict["on"][0]
    services.change_state(screening, State.LEFT, "已返回工作地", user=users.worker_a)
    with pytest.raises(ValidationError) as exc:
        services.record_follow_up(screening, user=users.worker_a, on=services.today() - datetime.timedelta(days=1))
    assert exc.value.message_dict["screening"] == ["该排查已结案，不能再记录跟进"]
    assert FollowUp.objects.count() == 1
