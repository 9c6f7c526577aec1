"""A resident at 360 px: first scan declares and passes, later scans are one tap, family members are added."""

import datetime

import pytest
from playwright.sync_api import expect

from fangkong.accounts.roles import Role
from fangkong.passes.models import Declaration, DeviceMember, Passage, Place, PlaceKind, PlaceState
from fangkong.people.models import Person, Residency

from .conftest import _user, assert_clean, login, no_horizontal_scroll, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def declare(page, name, number, *, label=None, phone=None, temperature=None):
    if label is not None:
        page.fill("#id_label", label)
    page.fill("#id_name", name)
    page.fill("#id_id_number", number)
    if phone:
        page.fill("#id_phone", phone)
    for question in ("visited_risk_area", "has_symptoms", "had_contact"):
        page.check(f"input[name={question}][value=no]")
    if temperature:
        page.fill("#id_temperature", temperature)
    page.check("#id_consent")


def test_first_scan_declares_later_scans_are_one_tap_and_family_members_pass_too(live_server, phone, small_district):
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区南门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路14号", contact_name="李四", state=PlaceState.APPROVED,
                                measures_temperature=True, records_exit=True)
    page = phone.page
    scan = f"{live_server.url}/c/{gate.code}"

    # First scan: the declaration, then the live result.
    page.goto(scan)
    expect(page.locator("header h1")).to_have_text("幸福里小区南门")
    declare(page, "刘桂兰", resident_id(datetime.date(1952, 3, 9), 411), phone="13712345678", temperature="36.4")
    page.get_by_role("button", name="提交并通行").click()
    verdict = page.locator(".verdict")
    expect(verdict).to_have_class("verdict allow")
    expect(verdict).to_contain_text("可以通行")
    expect(verdict).to_contain_text("刘*兰")
    clock = page.locator("[data-clock]").first
    first_tick = clock.text_content()
    expect(clock).not_to_have_text(first_tick, timeout=3000)  # a live screen, not a screenshot
    no_horizontal_scroll(page)

    # Second scan: one tap.
    page.goto(scan)
    expect(page.locator("label.who")).to_have_count(1)
    page.fill("#temperature", "36.5")
    page.get_by_role("button", name="入", exact=True).click()
    expect(page.locator(".verdict")).to_contain_text("可以通行")
    assert Passage.objects.count() == 2

    # Her mother has no phone: added once on this phone, then both pass with one tap.
    page.goto(scan)
    page.get_by_role("link", name="添加家人").click()
    declare(page, "王秀英", resident_id(datetime.date(1931, 7, 1), 412), label="母亲")
    page.get_by_role("button", name="添加").click()
    expect(page.locator("label.who")).to_have_count(2)
    expect(page.locator("label.who").nth(1)).to_contain_text("母亲")
    page.locator("label.who input").nth(1).check()
    page.fill("#temperature", "36.7")
    page.get_by_role("button", name="出", exact=True).click()
    expect(page.locator(".verdict")).to_have_count(2)
    assert DeviceMember.objects.count() == 2
    assert Passage.objects.filter(direction="out").count() == 2

    # 我的出入记录: the phone's own passages, masked.
    page.get_by_role("link", name="我的出入记录").click()
    expect(page.locator("tbody tr")).to_have_count(4)
    assert "王秀英" not in page.content()
    no_horizontal_scroll(page)
    assert_clean(phone)


def test_a_forged_code_gets_a_friendly_page_and_no_passage(live_server, phone, small_district):
    page = phone.page
    response = page.goto(f"{live_server.url}/c/forged-code-123")
    assert response.status == 404
    expect(page.locator(".verdict")).to_contain_text("二维码无效")
    assert not Passage.objects.exists()
    assert_clean(phone, allow_console=("404",))


def test_the_guard_sees_both_family_passages(live_server, phone, browser, small_district):
    gate = Place.objects.create(area=small_district.community_a, name="幸福里超市", kind=PlaceKind.VENUE,
                                address="文化路20号", contact_name="赵六", state=PlaceState.APPROVED,
                                measures_temperature=False)
    guard = _user("guard_b", "卡点值守乙", Role.CHECKPOINT_STAFF, small_district.community_a)
    gate.staff.add(guard)
    page = phone.page
    page.goto(f"{live_server.url}/c/{gate.code}")
    declare(page, "陈建国", resident_id(datetime.date(1960, 5, 5), 413))
    page.get_by_role("button", name="提交并通行").click()
    expect(page.locator(".verdict")).to_contain_text("可以通行")
    page.goto(f"{live_server.url}/c/{gate.code}?add=1")
    declare(page, "陈小宝", resident_id(datetime.date(2019, 1, 2), 414), label="儿子")
    page.get_by_role("button", name="添加").click()
    page.locator("label.who input").nth(1).check()
    page.get_by_role("button", name="确认通行").click()
    expect(page.locator(".verdict")).to_have_count(2)

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="zh-CN")
    try:
        station = context.new_page()

        class Tab:
            pass

        tab = Tab()
        tab.page = station
        login(tab, live_server, "guard_b")
        station.goto(f"{live_server.url}/station/")
        expect(station.locator("#count-in")).to_have_text("3")
        for name in ("陈*国", "陈*宝"):
            expect(station.locator("#latest")).to_contain_text(name)
    finally:
        context.close()


def test_an_outside_visitor_declares_with_a_free_address_and_no_community(live_server, phone, small_district):
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区东门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路16号", contact_name="李四", state=PlaceState.APPROVED,
                                measures_temperature=False)
    page = phone.page
    page.goto(f"{live_server.url}/c/{gate.code}")
    community = page.locator("#id_community")
    expect(community.locator("option:checked")).to_have_text("不选（外地来访）")
    declare(page, "周明", resident_id(datetime.date(1979, 10, 1), 415), phone="13812345678")
    page.fill("#id_address", "河南省洛阳市西工区中州路9号")
    no_horizontal_scroll(page)
    page.get_by_role("button", name="提交并通行").click()
    expect(page.locator(".verdict")).to_contain_text("可以通行")
    expect(page.locator(".verdict")).to_contain_text("周*")

    visitor = Person.objects.get(name="周明")
    assert (visitor.residency, visitor.household_id) == (Residency.VISITOR, None)
    assert Declaration.objects.get(person=visitor).address == "河南省洛阳市西工区中州路9号"
    no_horizontal_scroll(page)
    assert_clean(phone)


def test_her_new_phone_records_her_passage_and_shows_her_records_once_the_sms_code_proves_it(
        live_server, phone, small_district):
    """王秀英 declares on a new phone: she passes, the phone tells her plainly how to verify, she asks for a code,
    reads it from her SMS (the local outbox here) and types it; then her records and her pass code show."""
    import re

    from fangkong.core.models import SmsMessage

    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区南门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路14号", contact_name="李四", state=PlaceState.APPROVED,
                                measures_temperature=False)
    her = small_district.person_a
    page = phone.page
    scan = f"{live_server.url}/c/{gate.code}"
    page.goto(scan)
    declare(page, "王秀英", her.id_number)
    page.get_by_role("button", name="提交并通行").click()
    expect(page.locator(".verdict")).to_contain_text("可以通行")

    page.get_by_role("link", name="我的出入记录").click()
    expect(page.locator(".unproven")).to_contain_text("本机尚未验证身份")
    expect(page.locator("tbody tr")).to_have_count(1)  # "没有记录": nothing of hers yet
    page.get_by_role("link", name="验证身份（短信验证码或到卡点核验）").click()
    page.get_by_role("button", name="发送验证码").click()
    expect(page.locator("body")).to_contain_text("验证码已发送到该手机号")
    assert her.phone not in page.content()
    code = re.search(r"验证码是(\d{6})", SmsMessage.objects.get().text).group(1)
    assert SmsMessage.objects.get().phone == her.phone
    page.fill("#code", code)
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator(".messages .success")).to_contain_text("已验证")
    no_horizontal_scroll(page)

    page.goto(f"{scan}/mine")
    expect(page.locator(".unproven")).to_have_count(0)
    expect(page.locator("tbody tr")).to_contain_text("幸福里小区南门")
    page.goto(f"{live_server.url}/my/pass/")
    expect(page.locator(f'[data-person="{her.pk}"]')).to_be_visible()
    assert DeviceMember.objects.get(person=her).verified_via == "sms"
    assert_clean(phone)
