"""A grid worker on a phone (360 px) opens a household, adds a member who has just come back, sees them there."""

import datetime

import pytest
from playwright.sync_api import expect

from fangkong.people.models import HouseholdRole, Person

from .conftest import _user, assert_clean, login, no_horizontal_scroll, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def grid_worker(small_district):
    from fangkong.accounts.roles import Role
    from fangkong.territory.models import Grid

    grid = Grid.objects.create(area=small_district.community_a, name="第一网格")
    small_district.household_a.grid = grid
    small_district.household_a.save()
    user = _user("grid_worker", "网格员", Role.GRID_WORKER, small_district.community_a)
    user.grid = grid
    user.save()
    return user


def test_add_a_returning_member_to_a_household(live_server, phone, small_district, grid_worker):
    page, household = phone.page, small_district.household_a
    number = resident_id(datetime.date(2003, 9, 18), 573)
    returned = datetime.date.today() - datetime.timedelta(days=2)
    login(phone, live_server, "grid_worker")
    page.goto(f"{live_server.url}/territory/households/{household.pk}/")
    expect(page.locator("#members")).to_contain_text("王秀英")
    no_horizontal_scroll(page)

    page.get_by_role("link", name="添加家庭成员").click()
    page.wait_for_url("**/people/new/?**")
    expect(page.locator("#id_household")).to_have_value(str(household.pk))
    expect(page.locator("#id_area")).to_have_value(str(small_district.community_a.pk))
    no_horizontal_scroll(page)
    page.fill("#id_name", "王小军")
    page.fill("#id_id_number", number)
    page.select_option("#id_household_role", HouseholdRole.CHILD)
    page.fill("#id_returned_on", returned.isoformat())
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    # Forgot where from: said next to the field, the rest kept.
    field = page.locator(".field.invalid", has=page.locator("#id_returned_from"))
    expect(field.locator(".errorlist")).to_have_text("填写了返回日期，请填写从何地返回")
    expect(page.locator("#id_name")).to_have_value("王小军")
    expect(page.locator("#id_returned_on")).to_have_value(returned.isoformat())
    assert not Person.objects.filter(name="王小军").exists()
    no_horizontal_scroll(page)

    page.fill("#id_id_number", number)  # numbers are not sent back to the browser
    page.fill("#id_returned_from", "上海市浦东新区")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/people/*/")
    expect(page.locator("#household-role")).to_have_text("子女")
    expect(page.locator("#returned")).to_contain_text("上海市浦东新区")

    page.goto(f"{live_server.url}/territory/households/{household.pk}/")
    row = page.locator("#members tbody tr", has_text="王小军")
    expect(row).to_contain_text("子女")
    expect(row).to_contain_text("上海市浦东新区")
    expect(row).to_contain_text(number[:4] + "*" * 10 + number[-4:])
    assert number not in page.content()
    no_horizontal_scroll(page)
    assert_clean(phone)
    person = Person.objects.get(name="王小军")
    assert (person.household, person.returned_on, person.household_role) == (household, returned, "child")
