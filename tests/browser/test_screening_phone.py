"""A grid worker on a phone: finds a person, puts them in 省外返回人员, records today's follow-up."""

import re

import pytest
from playwright.sync_api import expect

from fangkong.screening.models import FollowUp, Screening, State

from .conftest import assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def grid_worker(small_district):
    from django.contrib.auth.models import Group

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.territory.models import Grid

    from .conftest import PASSWORD

    grid = Grid.objects.create(area=small_district.community_a, name="第一网格")
    small_district.household_a.grid = grid
    small_district.household_a.save()
    user = User.objects.create_user(username="grid_worker", password=PASSWORD, full_name="网格员小李",
                                    area=small_district.community_a, grid=grid)
    user.groups.set([Group.objects.get(name=Role.GRID_WORKER.value)])
    return user


def test_a_grid_worker_screens_a_returnee_and_follows_up_today(live_server, phone, small_district, grid_worker):
    page, person = phone.page, small_district.person_a
    login(phone, live_server, "grid_worker")

    page.goto(f"{live_server.url}/key-persons/")
    expect(page.locator("#screenings tbody")).to_contain_text("没有找到重点人员")
    no_horizontal_scroll(page)
    page.get_by_role("link", name="登记重点人员").click()
    page.fill("input[name=q]", person.id_number[-6:])
    page.click("form.search button[type=submit]")
    rows = page.locator("#persons tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王秀英")
    no_horizontal_scroll(page)
    rows.first.get_by_role("link", name="选择").click()

    page.wait_for_url(f"**/key-persons/new/?person={person.pk}")
    expect(page.locator("#person-card")).to_contain_text("139****1234")
    page.select_option("#id_category", label="省外返回人员")
    page.fill("#id_origin", "北京市朝阳区")
    no_horizontal_scroll(page)
    page.get_by_role("button", name="登记").click()

    page.wait_for_url(re.compile(r"/key-persons/\d+/$"))
    screening = Screening.objects.get(person=person)
    assert page.url.endswith(f"/key-persons/{screening.pk}/")
    expect(page.locator(".messages")).to_contain_text("已将 王秀英 登记为省外返回人员")
    expect(page.locator("#state")).to_contain_text("已上报")
    assert (screening.worker, screening.grid.name, screening.origin) == (grid_worker, "第一网格", "北京市朝阳区")
    no_horizontal_scroll(page)

    # The state changes only with a reason.
    page.get_by_role("button", name="改为“已核实”").click()
    expect(page.locator("#state-form .errorlist")).to_contain_text("请填写状态变更原因")
    page.fill("#id_reason", "入户核实身份和返回时间")
    page.get_by_role("button", name="改为“已核实”").click()
    expect(page.locator("#state")).to_contain_text("已核实")
    expect(page.locator("#history")).to_contain_text("入户核实身份和返回时间")

    follow = page.locator("#follow-up")
    box = follow.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a big button, easy with gloves
    follow.click()
    page.wait_for_url(f"**/key-persons/{screening.pk}/follow-up/")
    no_horizontal_scroll(page)
    page.fill("#id_temperature", "36.6")
    page.get_by_text("无症状").click()
    page.fill("#id_note", "电话随访，无异常")
    page.get_by_role("button", name="保存跟进").click()

    page.wait_for_url(f"**/key-persons/{screening.pk}/")
    expect(page.locator(".messages")).to_contain_text("已记录 王秀英 的跟进")
    expect(page.locator("#follow-ups")).to_contain_text("36.6 ℃")
    expect(page.get_by_text("今天已跟进")).to_be_visible()
    expect(page.locator("#follow-up")).to_have_count(0)
    no_horizontal_scroll(page)
    follow_up = FollowUp.objects.get(screening=screening)
    assert (str(follow_up.temperature), follow_up.has_symptoms, follow_up.by) == ("36.6", False, grid_worker)
    screening.refresh_from_db()
    assert screening.state == State.VERIFIED
    assert person.id_number not in page.content()
    assert_clean(phone)
