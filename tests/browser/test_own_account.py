"""On a 360 px phone: a worker opens 我的账号 from their name, revokes an API token and changes their password."""

import pytest
from playwright.sync_api import expect

from fangkong.accounts import tokens
from fangkong.accounts.models import ApiToken
from fangkong.audit.models import AuditAction, AuditEvent

from .conftest import PASSWORD, assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

NEW_PASSWORD = "Qiuji-2022-fangkong"


def test_a_worker_revokes_a_token_and_changes_their_password(live_server, phone, small_district):
    token, _key = tokens.issue(small_district.worker_a, verified=False, client="扫码枪 1号")
    page = phone.page
    login(phone, live_server, "worker_a")

    page.locator("header .who").click()
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    row = page.locator(f"#token-{token.pk}")
    expect(row).to_contain_text("扫码枪 1号")
    no_horizontal_scroll(page)
    row.get_by_role("button", name="撤销").click()
    expect(page.locator(".messages")).to_contain_text("已撤销令牌")
    expect(page.locator("#tokens")).to_contain_text("没有在用的API令牌")
    assert not ApiToken.objects.exists()

    page.get_by_role("link", name="修改密码").click()
    page.wait_for_url(f"{live_server.url}/accounts/password/")
    page.fill("#id_old_password", "not-my-password")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="修改密码").click()
    expect(page.locator(".field.invalid", has=page.locator("#id_old_password"))).to_be_visible()
    no_horizontal_scroll(page)
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="修改密码").click()
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    expect(page.locator(".messages")).to_contain_text("密码已修改")
    small_district.worker_a.refresh_from_db()
    assert small_district.worker_a.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, actor=small_district.worker_a,
                                     changes__password="(本人修改)").exists()
    assert_clean(phone)
