"""A district admin imports the territory from Excel: row-by-row errors first, then a clean import."""

from types import SimpleNamespace

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from fangkong.core import imports
from fangkong.core.models import ImportJob, JobStatus
from fangkong.territory.models import Area, Household

from .conftest import assert_clean, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              # the session-wide live server starts before tests point STATIC_ROOT at a directory
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

HEADER = ["区", "街道/镇", "社区/村", "网格", "小区/楼院", "楼栋", "单元", "门牌/房号", "楼层", "地址"]
GOOD_ROWS = [
    ["东湖示范区", "东风街道", "幸福里社区", "第一网格", "幸福里小区", "1号楼", "1单元", "102", 1, ""],
    ["东湖示范区", "东风街道", "幸福里社区", "第一网格", "幸福里小区", "1号楼", "1单元", "201", 2, ""],
    ["东湖示范区", "东风街道", "新华社区", "", "", "", "", "", "", "新华社区二组 8 号"],
]


def xlsx(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def upload(page, live_server, path):
    page.goto(f"{live_server.url}/territory/import/")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="导入").click()
    page.wait_for_url(f"{live_server.url}/imports/*/")


def test_import_reports_rows_then_imports(live_server, desktop, small_district, settings, tmp_path, eager_tasks,
                                          monkeypatch):
    settings.FANGKONG_REQUIRE_ADMIN_OTP = False
    settings.MEDIA_ROOT = tmp_path / "media"
    page = desktop.page
    login(desktop, live_server, "district_admin")
    households, areas = Household.objects.count(), Area.objects.count()

    bad = xlsx(tmp_path / "bad.xlsx", [
        GOOD_ROWS[0],
        ["东湖示范区", "东风街道", "幸福里社区", "第一网格", "幸福里小区", "1号楼", "1单元", "301", "三楼", ""],
        ["东湖示范区", "东风街道", "幸福里社区", "", "", "2号楼", "", "201", 2, ""],
        GOOD_ROWS[2],
    ])
    upload(page, live_server, bad)
    status = page.locator("#import-status")
    expect(status).to_contain_text("没有导入任何数据", timeout=30_000)
    errors = page.locator("#import-errors tbody tr")
    expect(errors.filter(has_text="第 3 行").filter(has_text="楼层")).to_contain_text("楼层应为 -5 到 200 之间的整数")
    expect(errors.filter(has_text="第 4 行").first).to_be_visible()
    expect(page.locator("#import-errors")).to_contain_text("必须先填写“小区/楼院”")
    expect(page.locator("#import-errors")).not_to_contain_text("第 2 行")
    expect(page.locator("#import-errors")).not_to_contain_text("第 5 行")
    expect(page.get_by_role("link", name="下载错误清单（Excel）")).to_be_visible()
    assert (Household.objects.count(), Area.objects.count()) == (households, areas)
    assert ImportJob.objects.get().status == JobStatus.FAILED

    # The good file: the job waits in the queue as it would for a Celery worker, and the status block
    # polls (htmx, every second) until the "worker" below has run it.
    queued = []
    monkeypatch.setattr("fangkong.core.tasks.run_import", SimpleNamespace(delay=queued.append))
    good = xlsx(tmp_path / "good.xlsx", GOOD_ROWS)
    upload(page, live_server, good)
    status = page.locator("#import-status")
    expect(status).to_contain_text("排队中")
    expect(status).to_have_attribute("hx-trigger", "every 1s")
    assert len(queued) == 1
    with page.expect_response(lambda r: r.url.endswith(f"/imports/{queued[0]}/") and r.request.method == "GET"
                              and r.request.headers.get("hx-request") == "true"):
        pass  # at least one poll before the job has run
    imports.run(ImportJob.objects.get(pk=queued[0]))
    expect(status).to_contain_text("导入成功", timeout=15_000)
    expect(status).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("#import-status .progress > div")).to_have_attribute("style", "width: 100%")
    assert Household.objects.count() == households + 3
    assert Area.objects.filter(name="新华社区", parent=small_district.subdistrict).exists()
    assert Household.objects.filter(area=small_district.community_a, address="幸福里小区1号楼1单元201").exists()
    assert_clean(desktop)
