"""The home page opens on what waits for each role (待办), with links that role may open, and 催报."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.models import ImportJob, JobStatus
from fangkong.healthcode import services as healthcode
from fangkong.passes.models import PlaceState
from fangkong.screening import reports
from fangkong.screening import services as screening
from fangkong.screening.models import Category, DailyReport, ReportReminder
from tests.core.todos import todo_items
from tests.passes.office_helpers import make_place, staff_user


@pytest.fixture
def waiting(district, users):
    """One of each thing that waits: a place to review, an override to decide, a key person not followed up
    today (and so three communities without today's 日报), and a failed import of the district admin."""
    place = make_place(district.community_a, "幸福里超市", state=PlaceState.PENDING)
    override = healthcode.request_override(district.person_a, colour="yellow", reason="data_error",
                                           note="核酸阳性待复核", user=users.worker_a, days=3)
    screened = screening.open_screening(district.person_a, Category.objects.get(code="return_province"),
                                        user=users.worker_a)
    job = ImportJob.objects.create(kind="persons", status=JobStatus.FAILED, created_by=users.admin,
                                   file_name="台账.xlsx", errors=[[3, "证件号码", "校验位错误"]])
    return {"place": place, "override": override, "screened": screened, "job": job}


def test_the_district_admin_opens_on_places_overrides_missing_reports_follow_ups_and_failed_imports(
        users, client_for, waiting):
    client = client_for(users.admin)
    html = client.get("/").content.decode()
    items = todo_items(html)
    assert set(items) == {"places_pending", "overrides_waiting", "reports_missing", "follow_ups_due", "imports_failed"}
    assert "1 个场所等待审核" in items["places_pending"][0]
    assert "1 条人工赋码申请等待您审批" in items["overrides_waiting"][0]
    assert "3 个社区/村还没有上报今日日报" in items["reports_missing"][0]
    assert "1 名重点人员今日还未跟进" in items["follow_ups_due"][0]
    assert "1 个导入有错误" in items["imports_failed"][0]
    assert items["imports_failed"][1] == f"/imports/{waiting['job'].pk}/"
    for _text, link in items.values():
        assert client.get(link).status_code == 200, link
    # The filtered lists show the thing that waits.
    assert "幸福里超市" in client.get(items["places_pending"][1]).content.decode()
    assert "王秀英" in client.get(items["follow_ups_due"][1]).content.decode()
    # Beside each community without today's report, 催报.
    for community in ("幸福里社区", "新华社区", "李庄村"):
        assert re.search(rf"<span>{community}</span>\s*<form method=\"post\" action=\"/reports/district/remind/", html)
    # Not posted at any place: no 卡点值守 that would lead to "not assigned".
    assert 'class="btn" href="/station/"' not in html


def test_an_override_is_waiting_only_for_someone_who_did_not_request_it(district, users, client_for):
    healthcode.request_override(district.person_a, colour="red", reason="tracing", note="流调判定", user=users.admin,
                                days=3)
    assert "overrides_waiting" not in todo_items(client_for(users.admin).get("/").content.decode())


def test_a_subdistrict_officer_sees_only_its_own_communities_without_a_report(district, users, client_for, waiting):
    DailyReport.objects.create(area=district.community_c, day=screening.today(), figures={}, submitted_by=users.admin)
    items = todo_items(client_for(users.officer).get("/").content.decode())
    assert "1 个社区/村还没有上报今日日报" in items["reports_missing"][0]
    missing = items["reports_missing"][0]
    assert "幸福里社区" in missing and "新华社区" not in missing and "李庄村" not in missing
    # An officer reviews places but approves no overrides, and the district admin's import is not theirs.
    assert set(items) == {"places_pending", "reports_missing", "follow_ups_due"}


def test_the_community_worker_sees_the_report_due_then_the_reminder_on_top(district, users, client_for, waiting):
    worker = client_for(users.worker_a)
    items = todo_items(worker.get("/").content.decode())
    assert items["report_due"] == ("本社区今日日报还没有上报 ›", "/reports/")
    assert list(items)[:1] == ["report_due"]
    assert worker.get("/reports/").status_code == 200

    response = client_for(users.officer).post(f"/reports/district/remind/{district.community_a.pk}/",
                                              {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    reminder = ReportReminder.objects.get()
    at = timezone.localtime(reminder.sent_at).strftime("%H:%M")
    html = worker.get("/").content.decode()
    items = todo_items(html)
    assert list(items)[0] == "report_reminded" and "report_due" not in items
    assert f"区/街道已催报今日日报（{at}）" in items["report_reminded"][0]
    assert '<li class="urgent" data-todo="report_reminded">' in html
    assert f"区/街道已催报今日日报（{at}）" in worker.get("/reports/").content.decode()
    # The worker of another community was not reminded.
    assert "report_reminded" not in todo_items(client_for(users.worker_b).get("/").content.decode())


def test_催报_twice_records_one_reminder_and_one_audit_row(district, users, client_for, waiting):
    officer = client_for(users.officer)
    first = officer.post(f"/reports/district/remind/{district.community_a.pk}/", follow=True)
    assert "已催报 幸福里社区" in first.content.decode()
    second = officer.post(f"/reports/district/remind/{district.community_a.pk}/", follow=True)
    assert "幸福里社区今日已催报" in second.content.decode() and "无需重复催报" in second.content.decode()
    reminder = ReportReminder.objects.get()
    assert (reminder.area, reminder.day, reminder.sent_by) == (district.community_a, screening.today(), users.officer)
    events = AuditEvent.objects.filter(object_type="screening.ReportReminder", action=AuditAction.CREATE)
    assert events.count() == 1 and events.get().actor == users.officer
    # The district admin pressing it too finds the same reminder.
    client_for(users.admin).post(f"/reports/district/remind/{district.community_a.pk}/")
    assert ReportReminder.objects.count() == 1


def test_催报_is_refused_where_it_makes_no_sense(district, users, client_for, waiting):
    officer = client_for(users.officer)
    # Another subdistrict's village: not found, as if it did not exist.
    assert officer.post(f"/reports/district/remind/{district.community_b.pk}/").status_code == 404
    # A community worker cannot remind anyone; a GET changes nothing.
    assert client_for(users.worker_a).post(f"/reports/district/remind/{district.community_c.pk}/").status_code == 403
    assert officer.get(f"/reports/district/remind/{district.community_c.pk}/").status_code == 405
    # A subdistrict is not a community; a submitted report needs no reminder.
    page = officer.post(f"/reports/district/remind/{district.subdistrict.pk}/", follow=True).content.decode()
    assert "催报按社区/村进行" in page
    DailyReport.objects.create(area=district.community_c, day=screening.today(), figures={}, submitted_by=users.admin)
    page = officer.post(f"/reports/district/remind/{district.community_c.pk}/", follow=True).content.decode()
    assert "新华社区今日日报已上报，无需催报" in page
    assert not ReportReminder.objects.exists()
    # Only today's report is reminded of.
    with pytest.raises(Exception, match="只能催报今日日报"):
        reports.remind(district.community_a, users.officer, day=screening.today() - datetime.timedelta(days=1))


def test_the_district_report_lists_催报_beside_missing_communities_and_the_time_once_sent(
        district, users, client_for, waiting):
    officer = client_for(users.officer)
    html = officer.get("/reports/district/").content.decode()
    assert html.count('class="inline dr-remind"') == 2  # 幸福里社区 and 新华社区
    officer.post(f"/reports/district/remind/{district.community_a.pk}/")
    html = officer.get("/reports/district/").content.decode()
    at = timezone.localtime(ReportReminder.objects.get().sent_at).strftime("%H:%M")
    row = re.search(rf'<tr data-area="{district.community_a.pk}">.*?</tr>', html, re.S).group()
    assert f"已催报 {at}" in row and "dr-remind\"" not in row
    assert html.count('class="inline dr-remind"') == 1
    # An earlier day is history: no 催报 there.
    yesterday = (screening.today() - datetime.timedelta(days=1)).isoformat()
    assert "dr-remind\"" not in officer.get(f"/reports/district/?day={yesterday}").content.decode()
    # The leader reads the table but does not remind.
    assert "dr-remind\"" not in client_for(users.leader).get("/reports/district/").content.decode()


def test_nothing_waiting_says_so(district, users, client_for):
    DailyReport.objects.create(area=district.community_a, day=screening.today(), figures={}, submitted_by=users.admin)
    html = client_for(users.worker_a).get("/").content.decode()
    assert 'id="todos-done"' in html and "暂无待办" in html


def test_卡点值守_shows_for_someone_posted_at_a_place(district, users, client_for):
    assert 'class="btn" href="/station/"' not in client_for(users.admin).get("/").content.decode()
    make_place(district.community_a, "幸福里小区北门", staff=[users.admin])
    assert 'class="btn" href="/station/"' in client_for(users.admin).get("/").content.decode()


def test_only_failed_imports_of_the_last_week_are_listed(users, client_for):
    old = ImportJob.objects.create(kind="persons", status=JobStatus.FAILED, created_by=users.worker_a, file_name="a")
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    ImportJob.objects.create(kind="persons", status=JobStatus.DONE, created_by=users.worker_a, file_name="b")
    ImportJob.objects.create(kind="persons", status=JobStatus.FAILED, created_by=users.admin, file_name="c")
    assert "imports_failed" not in todo_items(client_for(users.worker_a).get("/").content.decode())


# The home page costs a few counts per role, whatever the amount of data (no N+1): pinned per role.
# The territory's counts are cached a minute; each request here starts from an empty cache, as the first one does.
# Those who follow isolations pay one more, for the 每天清零 tasks waiting for them; officers of enterprises two
# (open problems, applications to review), an enterprise admin two (a returned application, employees who have
# not checked in today); community and grid workers one more for the tracing tasks of their community; those who
# run supply requests (保供) one more.
HOME_QUERIES = {"admin": 29, "officer": 28, "worker_a": 27, "grid_worker": 23, "leader": 23, "inspector": 20,
                "enterprise": 14}


def test_the_home_page_costs_a_fixed_number_of_queries_per_role(district, users, client_for, waiting,
                                                               django_assert_num_queries):
    people = dict(vars(users))
    people["inspector"] = staff_user("inspector", Role.INSPECTOR, district.district)
    people["enterprise"] = staff_user("enterprise", Role.ENTERPRISE_ADMIN, district.community_a)
    for n in range(3):  # more of everything must not cost more queries
        make_place(district.community_c, f"新华门岗{n}", state=PlaceState.PENDING, staff=[users.worker_a])
        make_place(district.community_a, f"企业门岗{n}").managers.add(people["enterprise"])
    for name, count in HOME_QUERIES.items():
        client = client_for(people[name])
        cache.clear()
        with django_assert_num_queries(count):
            assert client.get("/").status_code == 200


def test_the_communities_still_to_remind_come_first(district, users, client_for, waiting):
    reports.remind(district.community_a, users.officer)
    html = client_for(users.officer).get("/").content.decode()
    order = re.findall(r'<li data-area="(\d+)">', html)
    assert order == [str(district.community_c.pk), str(district.community_a.pk)]
