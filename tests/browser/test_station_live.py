"""A resident passes at a gate on their phone; the guard's phone shows it live and takes the temperature."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from fangkong.accounts.roles import Role
from fangkong.passes.models import Passage, Place, PlaceKind, PlaceState, Verdict

from .conftest import PHONE, _Tab, _user, _watch, assert_clean, login, no_horizontal_scroll, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def guard_phone(browser):
    """A second phone, with its own cookies: the guard's."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", device_scale_factor=2)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield _Tab(page, _watch(page))
    context.close()


def test_the_guard_sees_a_residents_passage_appear_and_enters_the_temperature(
        live_server, phone, guard_phone, small_district):
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路12号", contact_name="张三", state=PlaceState.APPROVED,
                                measures_temperature=True, records_exit=True)
    guard = _user("guard_a", "卡点值守甲", Role.CHECKPOINT_STAFF, small_district.community_a)
    gate.staff.add(guard)

    # The guard opens the station: nothing has happened yet today.
    login(guard_phone, live_server, "guard_a")
    station = guard_phone.page
    station.goto(f"{live_server.url}/station/")
    expect(station.locator("h1")).to_contain_text("幸福里小区北门")
    expect(station.locator("#count-in")).to_have_text("0")
    no_horizontal_scroll(station)

    # A resident scans the poster with their own phone and declares for the first time.
    resident = phone.page
    resident.goto(f"{live_server.url}/c/{gate.code}")
    number = resident_id(datetime.date(1990, 4, 8), 733)
    resident.fill("#id_name", "周晓梅")
    resident.fill("#id_id_number", number)
    resident.fill("#id_phone", "13912345678")
    for question in ("visited_risk_area", "has_symptoms", "had_contact"):
        resident.check(f"input[name={question}][value=no]")
    resident.check("#id_consent")
    resident.get_by_role("button", name="提交并通行").click()
    resident.wait_for_load_state()
    expect(resident.locator(".verdict")).to_be_visible()
    no_horizontal_scroll(resident)
    passage = Passage.objects.get()
    assert passage.temperature is None and passage.verdict == Verdict.WARN  # 未测体温

    # Without reloading, the guard's list shows her at the top, flagged until dealt with.
    row = station.locator(f'#flagged [data-passage="{passage.pk}"]')
    expect(row).to_be_visible(timeout=15_000)
    expect(row).to_contain_text("周*梅")
    expect(row).to_contain_text("未测体温")
    expect(station.locator("#count-in")).to_have_text("1")
    assert "周晓梅" not in station.content() and number not in station.content()

    # The guard measures her and types the temperature into the big entry.
    row.get_by_role("link", name="测温").click()
    entry = station.locator("#entry input[name=temperature]")
    expect(entry).to_be_focused()
    entry.fill("36.6")
    station.get_by_role("button", name="保存体温").click()
    expect(station.locator("#entry")).to_contain_text("36.6℃")
    expect(station.locator("#flagged")).to_have_count(0, timeout=15_000)
    current = station.locator("#latest .st-item").first
    expect(current).to_contain_text("36.6℃")
    expect(current).to_contain_text("通行")
    expect(current).to_contain_text("已更正")
    no_horizontal_scroll(station)

    correction = Passage.objects.get(corrects=passage)
    assert (correction.temperature, correction.verdict, correction.recorder) == (Decimal("36.6"), Verdict.ALLOW, guard)
    assert Passage.objects.count() == 2
    assert_clean(guard_phone)
    assert_clean(phone)
