"""A resident's declaration sent while PostgreSQL does not answer: a Chinese busy page, and back on the form
everything typed is still there, so one tap sends it again; once accepted, it is forgotten on the phone."""

import datetime

import pytest
from playwright.sync_api import expect

from fangkong.passes.models import Passage, Place, PlaceKind, PlaceState
from tests.conftest import database_down

from . import test_resident_scan as resident_pages
from .conftest import assert_clean, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_a_declaration_refused_by_an_outage_is_kept_and_sent_again_with_one_tap(live_server, phone, small_district):
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区南门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路14号", contact_name="李四", state=PlaceState.APPROVED,
                                measures_temperature=True, records_exit=True)
    page = phone.page
    scan = f"{live_server.url}/c/{gate.code}"
    number = resident_id(datetime.date(1952, 3, 9), 413)
    page.goto(scan)
    resident_pages.declare(page, "刘桂兰", number, phone="13712345678", temperature="36.4")

    with database_down():
        page.get_by_role("button", name="提交并通行").click()
        expect(page.locator("h1")).to_have_text("系统繁忙，请稍后重试")
    assert Passage.objects.count() == 0

    page.get_by_role("link", name="返回重试").click()
    expect(page.locator("#id_name")).to_have_value("刘桂兰")
    expect(page.locator("#id_id_number")).to_have_value(number)
    expect(page.locator("#id_phone")).to_have_value("13712345678")
    expect(page.locator("input[name=has_symptoms][value=no]")).to_be_checked()
    expect(page.locator("#id_consent")).to_be_checked()
    page.get_by_role("button", name="提交并通行").click()
    expect(page.locator(".verdict")).to_contain_text("可以通行")
    assert Passage.objects.count() == 1

    # Accepted: the next form on this phone (a family member) starts empty.
    page.goto(f"{scan}?add=1")
    expect(page.locator("#id_name")).to_have_value("")
    expect(page.locator("#id_id_number")).to_have_value("")
    assert_clean(phone, allow_console=("503",))
