"""The district admin's home at a 360 px phone opens on what waits (待办), and 催报 reaches the community.

The admin sees the key person not followed up today and both communities without today's 日报, presses 催报
beside 幸福里社区; the button turns into the time it was sent, and the community worker's home then opens with
"区/街道已催报今日日报（时间）" on top.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.screening.models import Category, ReportReminder
from fangkong.screening.services import open_screening

from .conftest import assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_the_district_admin_reminds_a_community_from_the_home_page(live_server, phone, small_district):
    open_screening(small_district.person_a, Category.objects.get(code="return_province"),
                   user=small_district.worker_a)
    page = phone.page
    login(phone, live_server, "district_admin")
    page.goto(f"{live_server.url}/")

    todos = page.locator("#todos")
    expect(todos.locator('[data-todo="reports_missing"] .go')).to_contain_text("2 个社区/村还没有上报今日日报")
    expect(todos.locator('[data-todo="follow_ups_due"] .go')).to_contain_text("1 名重点人员今日还未跟进")
    expect(page.locator('a.btn[href="/station/"]')).to_have_count(0)  # not posted at any checkpoint
    no_horizontal_scroll(page)
    row = todos.locator(f'[data-area="{small_district.community_a.pk}"]')
    button = row.get_by_role("button", name="催报")
    box = button.bounding_box()
    assert box["height"] >= 44, box  # a thumb's target at a gate

    button.click()
    page.wait_for_url(f"{live_server.url}/")
    reminder = ReportReminder.objects.get()
    at = timezone.localtime(reminder.sent_at).strftime("%H:%M")
    expect(page.locator(".messages")).to_contain_text(f"已催报 幸福里社区（{at}）")
    expect(row).to_contain_text(f"已催报 {at}")
    expect(row.get_by_role("button", name="催报")).to_have_count(0)
    expect(todos.locator(f'[data-area="{small_district.community_b.pk}"]').get_by_role("button", name="催报")) \
        .to_have_count(1)
    no_horizontal_scroll(page)
    assert_clean(phone)

    # The community worker opens on the reminder.
    page.context.clear_cookies()
    login(phone, live_server, "worker_a")
    page.goto(f"{live_server.url}/")
    first = page.locator("#todos > li").first
    expect(first).to_have_attribute("data-todo", "report_reminded")
    expect(first).to_contain_text(f"区/街道已催报今日日报（{at}）")
    no_horizontal_scroll(page)
    assert_clean(phone)
