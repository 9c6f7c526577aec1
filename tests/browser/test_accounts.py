"""On a 360 px phone: the district admin creates a community worker's account, and the worker logs in with it."""

import pytest
from playwright.sync_api import expect

from fangkong.accounts.models import User

from .conftest import assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              # the session-wide live server starts before tests point STATIC_ROOT at a directory
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_the_district_admin_creates_an_account_and_its_owner_logs_in(live_server, phone, small_district, settings):
    settings.FANGKONG_REQUIRE_ADMIN_OTP = False
    page = phone.page
    login(phone, live_server, "district_admin")

    # 账号 in the nav leads to the district's accounts.
    page.get_by_role("navigation").get_by_role("link", name="账号").click()
    page.wait_for_url(f"{live_server.url}/accounts/users/")
    expect(page.locator("#user-count")).to_contain_text("共 3 人")
    no_horizontal_scroll(page)

    page.get_by_role("link", name="新建账号").click()
    page.wait_for_url(f"{live_server.url}/accounts/users/new/")
    page.fill("#id_username", "sq_zhou")
    page.fill("#id_full_name", "周晓燕")
    page.fill("#id_phone", "1390371")
    expect(page.locator("#id_grid")).to_be_hidden()  # asked of grid workers only
    page.select_option("#id_role", "grid_worker")
    expect(page.locator("#id_grid")).to_be_visible()
    page.select_option("#id_role", "community_worker")
    expect(page.locator("#id_grid")).to_be_hidden()
    page.select_option("#id_area", str(small_district.community_b.pk))
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    field = page.locator(".field.invalid", has=page.locator("#id_phone"))
    expect(field.locator(".errorlist")).to_contain_text("手机号码应为11位")
    expect(page.locator("#id_full_name")).to_have_value("周晓燕")
    assert not User.objects.filter(username="sq_zhou").exists()
    no_horizontal_scroll(page)

    page.fill("#id_phone", "139 0371 5566")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("h1")).to_have_text("账号已建立")
    password = page.locator("#new-password").inner_text().strip()
    assert len(password) >= 10
    no_horizontal_scroll(page)

    page.get_by_role("link", name="返回账号列表").click()
    page.fill("input[name=q]", "周晓燕")
    page.get_by_role("button", name="查找").click()
    row = page.locator("#users tbody tr", has_text="sq_zhou")
    expect(row).to_contain_text("社区工作人员")
    expect(row).to_contain_text("李庄村")
    expect(row).to_contain_text("139****5566")
    no_horizontal_scroll(page)
    assert_clean(phone)

    # The new worker logs in on their own phone with the password they were given.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "sq_zhou")
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".top .who")).to_contain_text("周晓燕 · 李庄村")
    expect(page.get_by_role("navigation").get_by_role("link", name="账号")).to_have_count(0)


def test_the_district_admin_unlocks_a_locked_out_worker_on_the_desktop(live_server, desktop, small_district,
                                                                      settings):
    from django.test import Client

    from .conftest import PASSWORD

    settings.FANGKONG_REQUIRE_ADMIN_OTP = False
    for attempt in range(10):
        Client().post("/login/", {"username": "worker_a", "password": f"wrong-{attempt}"})
    page = desktop.page
    login(desktop, live_server, "district_admin")
    page.goto(f"{live_server.url}/accounts/users/")
    expect(page.locator("#locked-link")).to_contain_text("1")
    page.locator("#locked-link").click()
    page.wait_for_url(f"{live_server.url}/accounts/users/locked/")
    expect(page.locator("h1")).to_contain_text("已锁定账号")
    row = page.locator("#users tbody tr", has_text="worker_a")
    expect(row).to_contain_text("已锁定")
    row.get_by_role("button", name="解锁").click()
    page.wait_for_url(f"{live_server.url}/accounts/users/locked/")
    expect(page.locator(".messages")).to_contain_text("已解锁 社区工作人员甲")
    expect(page.locator("#users tbody")).to_contain_text("没有被锁定的账号")
    assert_clean(desktop)

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "worker_a")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
