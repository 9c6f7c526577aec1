"""Twice-daily monitoring: entries from the person's phone or a worker, tasks for missed and abnormal entries,
the 每天清零 board and the home page's 待办."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.isolation import services
from fangkong.isolation.models import MonitoringCheck, MonitoringTask, Slot, TaskKind
from tests.isolation.conftest import isolate


def _local(hour, days=0):
    day = timezone.localdate() - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def test_two_entries_a_day_fill_the_morning_and_afternoon_slots(district, users):
    order = isolate(district.person_a, users.worker_a, start_days_ago=1)
    services.record_check(order, temperature="36.4", at=_local(8, 1), now=_local(23))
    services.record_check(order, temperature="36.6", at=_local(16, 1), user=users.worker_a, now=_local(23))
    assert list(MonitoringCheck.objects.values_list("slot", "temperature", "by")) == [
        (Slot.AFTERNOON, Decimal("36.6"), users.worker_a.pk), (Slot.MORNING, Decimal("36.4"), None)]
    with pytest.raises(ValidationError) as error:
        services.record_check(order, temperature="36.5", at=_local(9, 1), now=_local(23))
    assert "已经测过体温" in str(error.value)


@pytest.mark.parametrize("temperature, at_hours, message", [
    ("99", 0, "体温应在 34.0 到 43.0 ℃ 之间"),
    ("abc", 0, "体温应在 34.0 到 43.0 ℃ 之间"),
    ("36.5", 2, "测量时间不能晚于现在"),
])
def test_bad_entries_are_refused_in_chinese_and_nothing_is_written(district, users, temperature, at_hours, message):
    order = isolate(district.person_a, users.worker_a)
    at = timezone.now() + datetime.timedelta(hours=at_hours)
    with pytest.raises(ValidationError) as error:
        services.record_check(order, temperature=temperature, at=at)
    assert message in str(error.value)
    assert not MonitoringCheck.objects.exists() and not MonitoringTask.objects.exists()


def test_missed_slots_become_tasks_which_a_late_entry_or_the_worker_closes(district, users):
    order = isolate(district.person_a, users.worker_a, start_days_ago=1)
    isolate(district.person_a_neighbour, users.worker_a, start_days_ago=1)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert services.open_missed_tasks(day=yesterday) == 4
    assert services.open_missed_tasks(day=yesterday) == 0  # idempotent
    services.record_check(order, temperature="36.5", at=_local(10, 1))
    assert MonitoringTask.objects.open().count() == 3
    board = services.board(users.worker_a)
    assert [(row["area__name"], row["n"]) for row in board] == [("幸福里社区", 3)]
    for task in MonitoringTask.objects.open():
        services.close_task(task, user=users.worker_a, note="电话联系，已补测")
    assert services.board(users.worker_a) == []


def test_a_fever_or_a_symptom_becomes_an_abnormal_task_for_the_responsible_worker(district, users):
    order = isolate(district.person_a, users.worker_a)
    services.record_check(order, temperature="37.8", at=timezone.now())
    task = MonitoringTask.objects.get()
    assert (task.kind, task.worker, task.area) == (TaskKind.ABNORMAL, users.worker_a, district.community_a)
    todos = services.todos(users.worker_a)
    assert [todo.key for todo in todos] == ["isolation_tasks"] and todos[0].count == 1
    assert services.todos(users.worker_b) == []
    with pytest.raises(ValidationError) as error:
        services.close_task(task, user=users.worker_a, note="")
    assert "请填写处理情况" in str(error.value)


def test_the_board_is_scoped_and_reads_in_a_constant_number_of_queries(district, users, django_assert_num_queries):
    for person in district.persons_a:
        services.record_check(isolate(person, users.worker_a), temperature="38.0", at=timezone.now())
    services.record_check(isolate(district.person_b, users.worker_b), temperature="38.0", at=timezone.now())
    assert sum(row["n"] for row in services.board(users.admin)) == 4
    assert sum(row["n"] for row in services.board(users.worker_b)) == 1
    with django_assert_num_queries(1):  # one grouped count (the subtree ids are cached)
        services.board(users.worker_a)


def test_the_daily_report_counts_isolations_and_waits_for_the_monitoring_tasks(district, users, client_for):
    from fangkong.screening import reports
    from fangkong.screening.models import DailyReport

    order = isolate(district.person_a, users.worker_a)
    isolate(district.person_a_neighbour, users.worker_a, kind="home_monitoring")
    services.record_check(order, temperature="38.0", at=timezone.now())
    worker = client_for(users.worker_a)
    page = worker.get("/reports/").content.decode()
    assert 'id="isolation-home">1<' in page and 'id="isolation-monitoring">1<' in page
    assert "还有 1 条隔离人员监测待办未处理，清零后才能上报日报" in page
    with pytest.raises(ValidationError) as error:
        reports.submit(district.community_a, timezone.localdate(), users.worker_a)
    assert "清零后才能上报日报" in str(error.value)
    assert not DailyReport.objects.exists()
    services.close_task(MonitoringTask.objects.get(), user=users.worker_a, note="已就医，排除发热")
    report = reports.submit(district.community_a, timezone.localdate(), users.worker_a)
    assert report.figures["isolation"] == {"centralized": 0, "home": 1, "home_monitoring": 1, "new": 2,
                                           "released": 0, "open_tasks": 0}


def test_the_hourly_round_starts_due_orders_and_opens_tasks_after_each_deadline(district, users):
    from io import StringIO

    from django.core.management import call_command

    from fangkong.isolation.models import State

    later = isolate(district.person_a, users.worker_a, start_days_ago=-1)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    at_ten = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(10, 0)))
    assert services.run_rounds(now=at_ten) == (1, 0)  # started; the morning slot is not over yet
    later.refresh_from_db()
    assert later.state == State.ISOLATING
    at_nine_pm = at_ten + datetime.timedelta(hours=11)
    assert services.run_rounds(now=at_nine_pm) == (0, 2)
    out = StringIO()
    call_command("isolation_rounds", stdout=out)
    assert "开始隔离 0 人" in out.getvalue()


def _live_counts():
    from django.db.models import Count
    from django.db.models.functions import Coalesce

    live = (MonitoringTask.objects.open().order_by().values_list("area_id", Coalesce("worker_id", 0), "day", "kind")
            .annotate(n=Count("pk")))
    return {row[:4]: row[4] for row in live}


def _kept_counts():
    from fangkong.isolation.models import OpenTaskCount

    return {(c.area_id, c.worker_key, c.day, c.kind): c.n for c in OpenTaskCount.objects.all()}


def test_the_boards_counters_follow_every_way_tasks_open_close_move_and_go(district, users):
    """PostgreSQL keeps the board's counters: bulk opening, a late entry, a worker closing one, an order ended
    (a bulk update) and a deleted order (cascade) all leave them equal to a count of the tasks themselves."""
    orders = [isolate(person, users.worker_a, start_days_ago=2) for person in district.persons_a]
    for day_back in (1, 2):
        services.open_missed_tasks(day=timezone.localdate() - datetime.timedelta(days=day_back))
    assert _kept_counts() == _live_counts() and sum(_kept_counts().values()) == 12
    services.record_check(orders[0], temperature="38.2", at=_local(9, 1))  # closes a missed one, opens abnormal
    services.close_task(MonitoringTask.objects.open().filter(order=orders[1]).first(), user=users.worker_a,
                        note="电话联系")
    assert _kept_counts() == _live_counts()
    services.change_state(orders[2], "cancelled", user=users.worker_a, reason="误报")
    assert _kept_counts() == _live_counts()
    MonitoringTask.objects.filter(order=orders[0]).delete()
    assert _kept_counts() == _live_counts() and 0 not in _kept_counts().values()
    assert sum(row["n"] for row in services.board(users.admin)) == MonitoringTask.objects.open().count()
