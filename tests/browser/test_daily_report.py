"""The key-person path of a day, end to end in Chromium.

A grid worker at a 360 px phone adds a family member who has come back from another province to a
household, puts them in 省外返回人员 and records today's follow-up from the daily list; a district officer
then sees them counted on the district's daily report and downloads its xlsx.
"""

import datetime
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from fangkong.core.identity import DocumentType
from fangkong.people.models import Person
from fangkong.screening.models import FollowUp, Screening
from fangkong.screening.services import today

from .conftest import PASSWORD, assert_clean, login, no_horizontal_scroll, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def grid_worker(small_district):
    """A grid worker of 幸福里社区 whose grid holds the household of the test."""
    from django.contrib.auth.models import Group

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.territory.models import Grid

    grid = Grid.objects.create(area=small_district.community_a, name="第一网格")
    household = small_district.household_a
    household.grid = grid
    household.save()
    user = User.objects.create_user(username="grid_worker", password=PASSWORD, full_name="网格员小刘",
                                    area=small_district.community_a, grid=grid)
    user.groups.set([Group.objects.get(name=Role.GRID_WORKER.value)])
    grid.members.add(user)
    return user


def test_a_returnee_is_screened_followed_up_and_counted(live_server, phone, desktop, small_district, grid_worker,
                                                        tmp_path):
    page = phone.page
    number = resident_id(datetime.date(1995, 7, 14), 286)
    login(phone, live_server, "grid_worker")

    # The household's page → 添加家庭成员: the person form comes with the household and its community.
    page.goto(f"{live_server.url}/territory/households/{small_district.household_a.pk}/")
    no_horizontal_scroll(page)
    page.click("#add-member")
    page.wait_for_url("**/people/new/**")
    expect(page.locator("#id_household")).to_have_value(str(small_district.household_a.pk))
    page.fill("#id_name", "王晓东")
    page.fill("#id_id_number", number)
    page.fill("#id_phone", "13803712468")
    page.select_option("#id_household_role", "child")
    page.fill("#id_returned_on", (today() - datetime.timedelta(days=1)).isoformat())
    page.fill("#id_returned_from", "上海市浦东新区")
    no_horizontal_scroll(page)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/people/*/")
    person = Person.objects.with_document(DocumentType.RESIDENT_ID, number).get()
    assert (person.household, person.area, person.returned_from) == (
        small_district.household_a, small_district.community_a, "上海市浦东新区")

    # 省外返回人员
    page.goto(f"{live_server.url}/key-persons/new/?person={person.pk}")
    no_horizontal_scroll(page)
    page.select_option("#id_category", label="省外返回人员")
    page.fill("#id_origin", "上海市浦东新区")
    page.fill("#id_reported_on", today().isoformat())  # typed, in case the form does not prefill it
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(f"{live_server.url}/key-persons/*/")
    screening = Screening.objects.get(person=person)
    assert (screening.category.code, screening.area, screening.grid) == (
        "return_province", small_district.community_a, grid_worker.grid)

    # The day's list: not followed up yet → 跟进 → back on the list, followed up.
    page.goto(f"{live_server.url}/reports/")
    no_horizontal_scroll(page)
    row = page.locator(f"#daily-people li[data-screening='{screening.pk}']")
    expect(row).to_contain_text("王晓东")
    expect(row).to_contain_text("今日未跟进")
    expect(page.locator("#count-overdue")).to_have_text("1")
    expect(page.locator("#daily-submit")).to_have_count(0)  # a grid worker does not submit the community's day
    row.get_by_role("link", name="跟进").click()
    page.wait_for_url(f"**/key-persons/{screening.pk}/follow-up/**")
    no_horizontal_scroll(page)
    page.fill("#id_on", today().isoformat())
    page.fill("#id_temperature", "36.6")
    page.get_by_role("button", name="保存跟进").click()
    page.wait_for_url(f"{live_server.url}/reports/")
    row = page.locator(f"#daily-people li[data-screening='{screening.pk}']")
    expect(row).to_contain_text("今日已跟进")
    expect(page.locator("#count-overdue")).to_have_text("0")
    expect(page.locator("#count-active")).to_have_text("1")
    assert FollowUp.objects.get(screening=screening).on == today()
    no_horizontal_scroll(page)
    # the district's page, at the phone too: the grid worker sees their own community only
    page.goto(f"{live_server.url}/reports/district/")
    expect(page.locator("#daily-table tbody tr[data-area]")).to_have_count(1)
    expect(page.locator("#daily-chart")).to_have_attribute("data-drawn", "1")
    no_horizontal_scroll(page)
    assert_clean(phone)

    # The district's report: counted in 幸福里社区, drawn, and exported.
    office = desktop.page
    login(desktop, live_server, "district_admin")
    office.goto(f"{live_server.url}/reports/district/")
    row = office.locator(f"#daily-table tr[data-area='{small_district.community_a.pk}']")
    expect(row).to_contain_text("幸福里社区")
    expect(row.locator("td").nth(1)).to_have_text("1")  # 新增
    expect(row.locator("td").nth(2)).to_have_text("1")  # 在管
    expect(row.locator("td").nth(5)).to_have_text("0")  # 未跟进
    expect(row).to_contain_text("未上报")
    expect(office.locator("#daily-chart")).to_have_attribute("data-drawn", "1")
    expect(office.locator("#daily-chart svg")).to_have_count(1)
    office.click("#daily-export")  # starts an export job; its page offers the file when it is written
    expect(office.locator("#export-download")).to_be_visible()
    with office.expect_download() as download_info:
        office.click("#export-download")
    path = tmp_path / "daily.xlsx"
    download_info.value.save_as(path)
    book = load_workbook(io.BytesIO(path.read_bytes()))
    assert book.sheetnames[0] == "汇总" and "省外返回人员" in book.sheetnames
    summary = [list(r) for r in book["汇总"].iter_rows(values_only=True)]
    assert summary[1] == ["社区", "新增", "在管", "管控中", "解除", "未跟进", "是否上报"]
    assert ["幸福里社区", 1, 1, 0, 0, 0, "未上报"] in summary
    assert summary[-1] == ["合计", 1, 1, 0, 0, 0, "0/2"]
    province = [list(r) for r in book["省外返回人员"].iter_rows(values_only=True)]
    assert ["幸福里社区", 1, 1, 0, 0, 0, "未上报"] in province
    # the phone worker's view at the desk is clean too: no console errors, nothing from outside
    assert_clean(desktop)
