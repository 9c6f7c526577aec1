"""A community worker imports the ledger as their community keeps it: a title above the header, no 社区/村
column, their own column names and words; the job's page says how it was read."""

import datetime

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from fangkong.core.models import ImportJob, JobStatus
from fangkong.people.models import Person, Residency

from .conftest import assert_clean, login, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_a_worker_imports_their_own_ledger_and_sees_how_it_was_read(live_server, desktop, small_district, settings,
                                                                    tmp_path, eager_tasks):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = desktop.page
    book = Workbook()
    sheet = book.active
    sheet.append(["幸福里社区居民信息登记台账（2022年3月）"])
    sheet.merge_cells("A1:H1")
    sheet.append([])
    sheet.append(["填表单位：幸福里社区居委会", None, None, None, None, "填表日期：2022年3月5日"])
    sheet.append(["序号", "姓名", "身份证号", "联系电话", "与户主的关系", "人员类型", "楼号", "门牌号"])
    sheet.append([1, "赵大勇", resident_id(datetime.date(1968, 4, 4), 311), "13812340001", "户主", "常住人口", "", ""])
    sheet.append([2, "孙租客", resident_id(datetime.date(1992, 6, 6), 312), "", "租户", "租户", "", ""])
    sheet.append([3, "李外来", resident_id(datetime.date(1995, 7, 7), 322), "", "租户", "租户", "", ""])
    path = tmp_path / "幸福里社区台账.xlsx"
    book.save(path)

    login(desktop, live_server, "worker_a")
    page.goto(f"{live_server.url}/people/import/")
    expect(page.locator("#id_area")).to_have_value(str(small_district.community_a.pk))  # their only community
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="导入").click()
    page.wait_for_url(f"{live_server.url}/imports/*/")

    status = page.locator("#import-status")
    expect(status).to_contain_text("导入成功", timeout=30_000)
    expect(status).to_contain_text("新增人员: 3")
    notes = page.locator("#import-notes")
    expect(notes).to_contain_text("列“身份证号” → 证件号码")
    expect(notes).to_contain_text("文件中没有“社区/村”列：全部导入到 幸福里社区")
    expect(notes).to_contain_text("人口类型：“租户” → 流动人口（2 行）")
    expect(notes).to_contain_text("人口类型：“常住人口” → 户籍人口（1 行）")
    assert ImportJob.objects.get().status == JobStatus.DONE
    tenant = Person.objects.get(name="孙租客")
    assert (tenant.area, tenant.residency) == (small_district.community_a, Residency.FLOATING)
    assert_clean(desktop)
