"""日报 figures counted by hand on the small district, submit rules, freezing, and scope."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.audit.models import AuditEvent
from fangkong.screening import reports, services
from fangkong.screening.models import Category, DailyReport, State
from tests.conftest import numbered_name

TODAY = services.today()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def screened(district, users):
    """Community A: four screenings in two categories; community B: one; community C: none.

    s1 王秀英 省外返回 reported today, not followed up            → new, open, overdue
    s2 王志强 省外返回 reported 3 days ago, under control, followed up today
    s3 张子涵 密接 reported 5 days ago, released today              → released
    s4 王秀英 密接 reported 2 days ago, followed up yesterday only   → open, overdue
    s5 李建国 (B) 省外返回 reported today
    """
    province = Category.objects.get(code="return_province")
    contact = Category.objects.get(code="close_contact")
    worker = users.worker_a

    def days_ago(n):
        return TODAY - datetime.timedelta(days=n)

    s1 = services.open_screening(district.person_a, province, user=worker)
    s2 = services.open_screening(district.person_a_neighbour, province, user=worker, reported_on=days_ago(3))
    services.change_state(s2, State.VERIFIED, "已核实", user=worker)
    services.change_state(s2, State.UNDER_CONTROL, "居家健康监测", user=worker)
    services.record_follow_up(s2, user=worker, temperature="36.5")
    s3 = services.open_screening(district.person_a_other_grid, contact, user=worker, reported_on=days_ago(5))
    services.change_state(s3, State.VERIFIED, "已核实", user=worker)
    services.change_state(s3, State.RELEASED, "管控期满", user=worker)
    s4 = services.open_screening(district.person_a, contact, user=worker, reported_on=days_ago(2))
    services.record_follow_up(s4, user=worker, on=YESTERDAY, temperature="36.6")
    s5 = services.open_screening(district.person_b, province, user=users.worker_b)
    return {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "s5": s5, "province": province, "contact": contact}


def by_code(figures):
    return {row["code"]: {key: row[key] for key in reports.KEYS} for row in figures["categories"]}


def counts(new, active, under_control, released, overdue):
    return {"new": new, "active": active, "under_control": under_control, "released": released, "overdue": overdue}


def test_todays_figures_of_a_community_counted_by_hand(district, screened):
    figures = reports.figures(district.community_a, TODAY)
    rows = by_code(figures)
    assert rows["return_province"] == counts(1, 2, 1, 0, 1)
    assert rows["close_contact"] == counts(0, 1, 0, 1, 1)
    assert figures["totals"] == counts(1, 3, 1, 1, 2)
    # every active category is listed, with zeros where nobody is in it
    assert rows["fever"] == counts(0, 0, 0, 0, 0)
    assert [row["name"] for row in figures["categories"]][:2] == ["省外返回人员", "中高风险地区来返人员"]
    assert reports.figures(district.community_b, TODAY)["totals"] == counts(1, 1, 0, 0, 1)
    assert reports.figures(district.community_c, TODAY)["totals"] == counts(0, 0, 0, 0, 0)
    assert reports.figures(district.district, TODAY)["totals"] == counts(2, 4, 1, 1, 3)


def test_an_earlier_days_figures_ask_which_follow_ups_were_recorded_that_day(district, screened):
    rows = by_code(reports.figures(district.community_a, YESTERDAY))
    # s2 was followed up today, not yesterday: still not followed up yesterday
    assert rows["return_province"] == counts(0, 1, 1, 0, 1)
    # s3 was open at the end of yesterday (released today) and never followed up; s4 was followed up yesterday
    assert rows["close_contact"] == counts(0, 2, 0, 0, 1)


def test_figures_cost_the_same_number_of_queries_with_more_key_persons(district, users, screened, make_person):
    reports.figures(district.community_a, TODAY)  # the area subtree is cached after the first call
    with CaptureQueriesContext(connection) as few:
        reports.figures(district.community_a, TODAY)
    fever = Category.objects.get(code="fever")
    for n in range(6):
        person = make_person(numbered_name("发热", n), district.community_a)
        services.open_screening(person, fever, user=users.worker_a)
    with CaptureQueriesContext(connection) as more:
        figures = reports.figures(district.community_a, TODAY)
    assert figures["totals"]["new"] == 7
    assert len(more.captured_queries) == len(few.captured_queries) <= 2


def test_submit_is_refused_while_someone_is_not_followed_up_and_stores_nothing(district, users, screened):
    with pytest.raises(ValidationError) as refused:
        reports.submit(district.community_a, TODAY, users.worker_a)
    assert refused.value.message_dict["overdue"] == ["还有 2 名重点人员未跟进，全部跟进后才能上报日报"]
    assert not DailyReport.objects.exists()
    services.record_follow_up(screened["s1"], user=users.worker_a, temperature="36.4")
    with pytest.raises(ValidationError, match="还有 1 名"):
        reports.submit(district.community_a, TODAY, users.worker_a)
    assert not DailyReport.objects.exists()


def test_a_submitted_day_is_frozen_and_a_second_submit_is_refused(district, users, screened, make_person):
    worker = users.worker_a
    services.record_follow_up(screened["s1"], user=worker)
    services.record_follow_up(screened["s4"], user=worker)
    report = reports.submit(district.community_a, TODAY, worker)
    assert report.figures["totals"] == counts(1, 3, 1, 1, 0)
    assert AuditEvent.objects.filter(object_type="screening.DailyReport", object_id=str(report.pk)).exists()

    # Later the same day: a new key person, and a state change. The live figures move, the report does not.
    newcomer = make_person("刘德明", district.community_a, by=worker)
    services.open_screening(newcomer, screened["contact"], user=worker)
    services.change_state(screened["s1"], State.VERIFIED, "已核实", user=worker)
    assert reports.figures(district.community_a, TODAY)["totals"] == counts(2, 4, 1, 1, 1)
    frozen, stored = reports.report_figures(district.community_a, TODAY)
    assert stored == report and frozen["totals"] == counts(1, 3, 1, 1, 0)
    table = reports.district_table(None, TODAY, users.admin)
    row_a = next(row for row in table.rows if row.area == district.community_a)
    assert row_a.submitted and row_a.totals == counts(1, 3, 1, 1, 0)

    with pytest.raises(ValidationError) as refused:
        reports.submit(district.community_a, TODAY, worker)
    assert refused.value.message_dict["day"] == ["今日日报已上报，已冻结"]
    assert DailyReport.objects.count() == 1
    assert DailyReport.objects.get(pk=report.pk).figures == report.figures


def test_only_a_community_worker_of_that_community_submits(district, users, screened):
    for worker, screening in ((users.worker_a, "s1"), (users.worker_a, "s4"), (users.worker_b, "s5")):
        services.record_follow_up(screened[screening], user=worker)
    with pytest.raises(PermissionDenied):
        reports.submit(district.community_a, TODAY, users.worker_b)
    with pytest.raises(PermissionDenied):
        reports.submit(district.community_a, TODAY, users.grid_worker)
    with pytest.raises(PermissionDenied):
        reports.submit(district.community_a, TODAY, users.leader)
    with pytest.raises(ValidationError, match="以后日期"):
        reports.submit(district.community_a, TODAY + datetime.timedelta(days=1), users.worker_a)
    assert not DailyReport.objects.exists()
    reports.submit(district.community_b, TODAY, users.worker_b)
    assert list(DailyReport.objects.values_list("area__name", flat=True)) == ["李庄村"]


def test_district_table_rows_per_community_in_scope(district, users, screened):
    services.record_follow_up(screened["s5"], user=users.worker_b)
    reports.submit(district.community_b, TODAY, users.worker_b)

    table = reports.district_table(None, TODAY, users.admin)
    rows = {row.area.name: row for row in table.rows}
    assert list(rows) == ["幸福里社区", "新华社区", "李庄村"]
    assert (rows["幸福里社区"].submitted, rows["幸福里社区"].totals) == (False, counts(1, 3, 1, 1, 2))
    assert rows["幸福里社区"].by_category["close_contact"] == counts(0, 1, 0, 1, 1)
    assert (rows["李庄村"].submitted, rows["李庄村"].totals) == (True, counts(1, 1, 0, 0, 0))
    assert (rows["新华社区"].submitted, rows["新华社区"].totals) == (False, counts(0, 0, 0, 0, 0))
    assert table.totals == counts(2, 4, 1, 1, 2)
    assert table.category_totals["return_province"] == counts(2, 3, 1, 0, 1)
    assert table.submitted_count == 1

    officer = reports.district_table(None, TODAY, users.officer)  # 东风街道: A and C only
    assert [row.area.name for row in officer.rows] == ["幸福里社区", "新华社区"]
    assert officer.totals == counts(1, 3, 1, 1, 2)
    own = reports.district_table(None, TODAY, users.worker_b)
    assert [row.area.name for row in own.rows] == ["李庄村"]
    assert own.totals == counts(1, 1, 0, 0, 0)
    # one subdistrict of the district, chosen by the admin
    chosen = reports.district_table(district.subdistrict2, TODAY, users.admin)
    assert [row.area.name for row in chosen.rows] == ["李庄村"]


def test_district_table_queries_do_not_grow_with_communities(district, users, screened):
    reports.district_table(None, TODAY, users.admin)
    with CaptureQueriesContext(connection) as captured:
        reports.district_table(None, TODAY, users.admin)
    assert len(captured.captured_queries) <= 4


def test_a_bad_day_is_refused_in_chinese():
    with pytest.raises(ValidationError, match="日期格式"):
        reports.parse_day("2022-13-01")
    with pytest.raises(ValidationError, match="以后日期"):
        reports.parse_day((TODAY + datetime.timedelta(days=2)).isoformat())
    assert reports.parse_day("") == TODAY
    assert reports.parse_day("2022-03-06") == datetime.date(2022, 3, 6)
