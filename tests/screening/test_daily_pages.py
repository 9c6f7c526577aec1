"""日报 pages: today's list and submit at a phone, the district table, and the xlsx read back."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.models import ExportJob
from fangkong.screening import services
from fangkong.screening.models import Category, DailyReport, State
from tests.conftest import export_through_page

TODAY = services.today()
HEADER = ["社区", "新增", "在管", "管控中", "解除", "未跟进", "是否上报"]


@pytest.fixture
def screened(district, users):
    province = Category.objects.get(code="return_province")
    contact = Category.objects.get(code="close_contact")
    a1 = services.open_screening(district.person_a, province, user=users.worker_a)
    a2 = services.open_screening(district.person_a_other_grid, contact, user=users.worker_a,
                                 reported_on=TODAY - datetime.timedelta(days=3))
    services.change_state(a2, State.VERIFIED, "已核实", user=users.worker_a)
    services.change_state(a2, State.UNDER_CONTROL, "居家隔离", user=users.worker_a)
    b1 = services.open_screening(district.person_b, province, user=users.worker_b)
    return {"a1": a1, "a2": a2, "b1": b1}


def test_todays_page_lists_the_open_key_persons_to_follow_up(district, users, client_for, screened):
    page = client_for(users.worker_a).get("/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "王秀英" in html and "张子涵" in html
    assert "李建国" not in html  # community B
    assert html.count("今日未跟进</span>") == 2
    assert 'id="count-overdue">2<' in html and 'id="count-active">2<' in html
    assert f"/key-persons/{screened['a1'].pk}/follow-up/?next=/reports/" in html
    assert 'id="daily-submit"' in html and "还有 2 人今日未跟进" in html
    # 提交日报 cannot succeed yet: it is disabled, and the reason above it is what a screen reader reads with it.
    assert 'disabled aria-describedby="daily-open"' in html and 'id="daily-open"' in html


def test_todays_counts_include_those_released_today(district, users, client_for, screened):
    services.change_state(screened["a2"], State.RELEASED, "管控期满", user=users.worker_a)
    html = client_for(users.worker_a).get("/reports/").content.decode()
    assert 'id="count-released">1<' in html and 'id="count-active">1<' in html
    assert "张子涵" not in html  # no longer on the list to follow up


def test_a_grid_worker_sees_their_grid_and_does_not_submit(district, users, client_for, screened):
    html = client_for(users.grid_worker).get("/reports/").content.decode()
    assert "王秀英" in html and "张子涵" not in html  # 张子涵 lives in 第二网格
    assert 'id="count-active">1<' in html
    assert 'id="daily-submit"' not in html
    assert client_for(users.grid_worker).post("/reports/submit/").status_code == 403


def test_submit_through_the_page_refused_then_frozen(district, users, client_for, screened):
    client = client_for(users.worker_a)
    refused = client.post("/reports/submit/", follow=True)
    assert "还有 2 名重点人员未跟进，全部跟进后才能上报日报" in refused.content.decode()
    assert not DailyReport.objects.exists()
    for key in ("a1", "a2"):
        services.record_follow_up(screened[key], user=users.worker_a, temperature="36.5")
    ready = client.get("/reports/").content.decode()
    assert 'id="daily-submit"' in ready and "disabled" not in ready.split('id="daily-submit"')[1].split("</form>")[0]
    done = client.post("/reports/submit/", follow=True).content.decode()
    assert "今日日报已上报，数据已冻结" in done and 'id="daily-frozen"' in done
    assert 'id="daily-submit"' not in done
    report = DailyReport.objects.get()
    assert (report.area, report.day, report.submitted_by) == (district.community_a, TODAY, users.worker_a)
    again = client.post("/reports/submit/", follow=True).content.decode()
    assert "今日日报已上报，已冻结" in again
    assert DailyReport.objects.count() == 1
    assert client.get("/reports/submit/").status_code == 405


def test_district_page_table_and_chart_data(district, users, client_for, screened):
    page = client_for(users.admin).get("/reports/district/")
    assert page.status_code == 200
    table = page.context["table"]
    assert [(row.area.name, row.totals["active"], row.totals["overdue"], row.submitted) for row in table.rows] == [
        ("幸福里社区", 2, 2, False), ("新华社区", 0, 0, False), ("李庄村", 1, 1, False)]
    html = page.content.decode()
    assert 'id="daily-chart"' in html and "screening/daily_report.js" in html and "vendor/echarts.min.js" in html
    assert f"/key-persons/?area={district.community_a.pk}&overdue=1" in html.replace("&amp;", "&")
    assert 'id="daily-totals"' in html
    chart = page.context["chart"]
    assert chart["communities"] == ["幸福里社区", "新华社区", "李庄村"]
    assert next(s for s in chart["series"] if s["key"] == "overdue")["data"] == [2, 0, 1]


def test_district_page_for_another_day_and_a_bad_day(district, users, client_for, screened):
    client = client_for(users.admin)
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    page = client.get(f"/reports/district/?day={yesterday}")
    assert page.context["day"].isoformat() == yesterday
    assert [row.totals["active"] for row in page.context["table"].rows] == [1, 0, 0]
    bad = client.get("/reports/district/?day=2022-02-30")
    assert bad.status_code == 200 and "日期格式应为" in bad.content.decode()


def test_scope_a_community_worker_sees_only_their_community(district, users, client_for, screened):
    client = client_for(users.worker_b)
    html = client.get("/reports/").content.decode()
    assert "李建国" in html and "王秀英" not in html and "张子涵" not in html
    district_page = client.get("/reports/district/")
    assert [row.area.name for row in district_page.context["table"].rows] == ["李庄村"]
    assert "幸福里社区" not in district_page.content.decode()
    # ?area= of another community reads as no choice: still only their own
    other = client.get(f"/reports/district/?area={district.community_a.pk}")
    assert [row.area.name for row in other.context["table"].rows] == ["李庄村"]
    book = load_workbook(io.BytesIO(export_through_page(client, "/reports/district/export.xlsx", method="get")))
    names = [row[0] for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    assert "李庄村" in names and "幸福里社区" not in names and "新华社区" not in names


def test_export_one_sheet_per_category_with_a_summary_first(district, users, client_for, screened):
    services.record_follow_up(screened["b1"], user=users.worker_b)
    client_for(users.worker_b).post("/reports/submit/")
    assert DailyReport.objects.filter(area=district.community_b).exists()

    # The link starts an export job; its page offers the file, named for the day.
    content = export_through_page(client_for(users.admin), "/reports/district/export.xlsx", {"day": TODAY.isoformat()},
                                  method="get")
    job = ExportJob.objects.get()
    assert job.file_name == f"重点人员日报-{TODAY.isoformat()}.xlsx"
    book = load_workbook(io.BytesIO(content))
    active = list(Category.objects.filter(active=True).order_by("position", "code").values_list("name", flat=True))
    assert book.sheetnames == ["汇总", *active]

    def rows(name):
        return [list(row) for row in book[name].iter_rows(values_only=True)]

    summary = rows("汇总")
    assert summary[0][0] == f"重点人员日报 {TODAY.isoformat()} 汇总"
    assert summary[1] == HEADER
    assert summary[2:] == [
        ["幸福里社区", 1, 2, 1, 0, 2, "未上报"],
        ["新华社区", 0, 0, 0, 0, 0, "未上报"],
        ["李庄村", 1, 1, 0, 0, 0, "已上报"],
        ["合计", 2, 3, 1, 0, 2, "1/3"],
    ]
    province = rows("省外返回人员")
    assert province[1] == HEADER
    assert province[2:] == [
        ["幸福里社区", 1, 1, 0, 0, 1, "未上报"],
        ["新华社区", 0, 0, 0, 0, 0, "未上报"],
        ["李庄村", 1, 1, 0, 0, 0, "已上报"],
        ["合计", 2, 2, 0, 0, 1, "1/3"],
    ]
    assert rows("密切接触者")[-1] == ["合计", 0, 1, 1, 0, 1, "1/3"]
    assert rows("发热人员")[-1] == ["合计", 0, 0, 0, 0, 0, "1/3"]
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=users.admin).get()
    assert event.object_type == "screening.DailyReport" and event.changes["rows"] == 3
    assert event.changes["filters"] == {"day": TODAY.isoformat(), "job": job.pk}


def test_export_needs_its_permission(district, users, client_for, screened):
    assert client_for(users.leader).get("/reports/district/").status_code == 200
    assert client_for(users.leader).get("/reports/district/export.xlsx").status_code == 403
    assert client_for(users.grid_worker).get("/reports/district/export.xlsx").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists() and not ExportJob.objects.exists()


def test_an_export_of_a_day_to_come_is_refused_in_chinese(district, users, client_for, screened):
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    response = client_for(users.admin).get("/reports/district/export.xlsx", {"day": tomorrow}, follow=True)
    assert "不能查看以后日期的日报" in response.content.decode()
    assert not ExportJob.objects.exists()
