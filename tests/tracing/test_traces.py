"""A trace: the case's visits paired from passages, manual visits, visits marked wrong; scope and audit."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.passes.models import Direction
from fangkong.tracing import services
from fangkong.tracing.models import RiskPlace, Trace, Visit, VisitSource
from tests.passes.office_helpers import passage

from .conftest import ago, stay


def open_trace(scene, users, **fields):
    return services.open_trace(scene.case, fields.pop("onset", timezone.localdate()), user=users.officer, **fields)


def test_entries_and_exits_pair_into_stays_and_a_lone_entry_gets_the_kinds_default(district, users, scene):
    stay(scene.case, scene.gate, ago(days=3), None)  # no exit recorded: a compound gate's 30 minutes
    passage(scene.case, scene.market, at=ago(days=4), direction=Direction.OUT)  # an exit alone: 60 minutes before it
    trace = open_trace(scene, users)
    visits = list(trace.visits.order_by("start"))
    assert [(v.place, round((v.end - v.start).total_seconds() / 60), v.end_assumed) for v in visits] == [
        (scene.market, 60, True), (scene.gate, 30, True), (scene.market, 60, False)]
    assert all(v.source == VisitSource.PASSAGE for v in visits)
    assert visits[2].start == scene.at


def test_the_window_is_configurable_and_passages_before_it_are_not_visits(district, users, scene):
    stay(scene.case, scene.gate, ago(days=10), 5)
    assert trace_places(open_trace(scene, users, window_days=5)) == [scene.market]
    assert trace_places(open_trace(scene, users)) == [scene.gate, scene.market]


def trace_places(trace):
    return [v.place for v in trace.visits.order_by("start")]


def test_an_onset_in_the_future_or_a_case_out_of_scope_writes_nothing(district, users, scene):
    with pytest.raises(ValidationError) as refused:
        open_trace(scene, users, onset=timezone.localdate() + datetime.timedelta(days=1))
    assert "发病或采样日期不能晚于今天" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        services.open_trace(district.person_b, timezone.localdate(), user=users.officer)  # another subdistrict
    assert "不在您的管辖范围内" in str(refused.value)
    with pytest.raises(ValidationError):
        open_trace(scene, users, window_days=40)
    with pytest.raises(PermissionDenied):
        services.open_trace(scene.case, timezone.localdate(), user=users.worker_a)
    assert not Trace.objects.exists() and not Visit.objects.exists()


def test_interview_visits_and_visits_marked_wrong(district, users, scene):
    trace = open_trace(scene, users)
    told = services.add_visit(trace, place=scene.far, start=ago(days=1), note="自述到李庄走亲戚", user=users.officer)
    assert told.end - told.start == datetime.timedelta(minutes=10) and told.end_assumed
    assert told.source == VisitSource.INTERVIEW
    with pytest.raises(ValidationError) as refused:
        services.add_visit(trace, place=None, start=ago(days=1), user=users.officer)
    assert "没有这个场所" in str(refused.value)
    with pytest.raises(ValidationError):
        services.add_visit(trace, place=scene.far, start=ago(days=30), user=users.officer)
    assert trace.visits.count() == 2
    with pytest.raises(ValidationError):
        services.mark_visit_wrong(told, reason="", user=users.officer)
    services.mark_visit_wrong(told, reason="核实当天未外出", user=users.officer)
    told.refresh_from_db()
    assert told.wrong and told.note == "核实当天未外出"
    assert not RiskPlace.objects.get(visit=told).active
    assert AuditEvent.objects.filter(object_type="tracing.Visit", object_id=str(told.pk)).count() == 2


def test_traces_are_scoped_and_opening_one_is_audited(district, users, scene):
    trace = open_trace(scene, users)
    assert AuditEvent.objects.filter(object_type="tracing.Trace", object_id=str(trace.pk), actor=users.officer).exists()
    assert list(Trace.objects.visible_to(users.worker_a)) == [trace]
    assert not Trace.objects.visible_to(users.worker_b).exists()
