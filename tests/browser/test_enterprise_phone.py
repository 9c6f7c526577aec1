"""Enterprises on phones at 360 px: the enterprise admin fills the reopening checklist (with a PDF where one is
required) and submits; the community officer returns it with a reason, which the admin reads; after the joint
approval an employee checks in from the phone and the on-duty rate on the admin's page moves."""

import pytest
from playwright.sync_api import expect

from fangkong.accounts.roles import Role
from fangkong.enterprises import services
from fangkong.enterprises.models import Application, ChecklistItem, Enterprise, Step
from tests.enterprises.conftest import default_checklist

from .conftest import _user, assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def _second_phone(browser):
    """Another person's phone at 360 px, watched like `phone`."""
    from .conftest import _Tab, _watch

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    return context, _Tab(page, _watch(page))


def test_reopening_from_the_checklist_to_the_on_duty_rate(live_server, browser, phone, small_district, tmp_path):
    default_checklist()
    district = small_district
    factory = Enterprise.objects.create(name="幸福里食品厂", credit_code="91350100M000100Y43",
                                        area=district.community_a, sector="manufacturing")
    boss = _user("boss", "食品厂管理员", Role.ENTERPRISE_ADMIN, district.community_a)
    officer = _user("sub_officer", "街道干部", Role.SUBDISTRICT_OFFICER, district.subdistrict)
    factory.admins.add(boss)
    staff = [services.add_employee(factory, {"name": person.name, "id_number": person.id_number}, user=boss)
             for person in [district.person_a, *district.neighbours]]
    scan = tmp_path / "防控方案.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    page = phone.page
    login(phone, live_server, "boss")
    page.goto(f"{live_server.url}/enterprises/")
    page.wait_for_url(f"**/enterprises/{factory.pk}/")
    expect(page.locator("#figures")).to_contain_text("0%")
    no_horizontal_scroll(page)
    page.get_by_role("button", name="填写复工申请").click()
    page.wait_for_url("**/enterprises/applications/*/")
    no_horizontal_scroll(page)
    for item in ChecklistItem.objects.filter(active=True):
        card = page.locator(f"#item-{item.pk}")
        card.locator("textarea").fill("已落实，见附件" if item.needs_attachment else "已落实")
        if item.needs_attachment:
            card.locator("input[type=file]").set_input_files(str(scan))
        card.get_by_role("button", name="保存此项").click()
        expect(page.locator(".messages")).to_contain_text("已保存")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#step")).to_contain_text("社区/园区审核")
    application = Application.objects.get(enterprise=factory)
    assert application.step == Step.COMMUNITY

    # The community officer returns it, with the reason.
    context, officer_tab = _second_phone(browser)
    officer_page = officer_tab.page
    try:
        login(officer_tab, live_server, "worker_a")
        officer_page.goto(f"{live_server.url}/enterprises/reviews/")
        officer_page.get_by_role("link", name="幸福里食品厂").click()
        officer_page.wait_for_url("**/enterprises/applications/*/")
        no_horizontal_scroll(officer_page)
        officer_page.get_by_role("button", name="退回").click()
        expect(officer_page.locator(".messages")).to_contain_text("退回时请写明原因")
        officer_page.fill("#reason", "防疫物资储备清单不全")
        officer_page.get_by_role("button", name="退回").click()
        expect(officer_page.locator("#step")).to_contain_text("已退回")
        assert_clean(officer_tab)
    finally:
        context.close()

    page.reload()
    expect(page.locator("#returned")).to_contain_text("防疫物资储备清单不全")
    expect(page.locator("#history")).to_contain_text("退回")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#step")).to_contain_text("社区/园区审核")
    for reviewer in (district.worker_a, officer, district.admin):
        services.review(application, approve=True, user=reviewer)
    page.reload()
    expect(page.locator("#step")).to_contain_text("已批准")
    expect(page.locator("#letter")).to_be_visible()

    # An employee checks in from the phone, through the personal link; the rate moves from 0 % to 33 %.
    employee_context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                           has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        own = employee_context.new_page()
        own.goto(f"{live_server.url}/e/{staff[0].checkin_token}/")
        no_horizontal_scroll(own)
        own.fill("#id_temperature", "45")
        own.get_by_role("button", name="提交打卡").click()
        expect(own.locator(".errorlist")).to_contain_text("不可能")
        own.fill("#id_temperature", "36.5")
        own.get_by_role("button", name="提交打卡").click()
        expect(own.locator("#checked-in")).to_contain_text("已打卡")
    finally:
        employee_context.close()
    page.goto(f"{live_server.url}/enterprises/{factory.pk}/")
    expect(page.locator("#rate")).to_have_text("33%")
    no_horizontal_scroll(page)
    assert_clean(phone)


def test_check_in_qr_codes_and_parks_at_360_px(live_server, browser, phone, small_district):
    """The enterprise admin sees each employee's QR code on the links page and opens the cards PDF; a
    subdistrict officer creates a park, is told of a duplicate name, and reads its figures, all at 360 px."""
    from fangkong.enterprises.models import Park

    district = small_district
    factory = Enterprise.objects.create(name="幸福里食品厂", credit_code="91350100M000100Y43",
                                        area=district.community_a, sector="manufacturing")
    boss = _user("boss", "食品厂管理员", Role.ENTERPRISE_ADMIN, district.community_a)
    _user("sub_officer", "街道干部", Role.SUBDISTRICT_OFFICER, district.subdistrict)
    factory.admins.add(boss)
    for person in [district.person_a, *district.neighbours]:
        services.add_employee(factory, {"name": person.name, "id_number": person.id_number, "department": "质检部"},
                              user=boss)

    page = phone.page
    login(phone, live_server, "boss")
    page.goto(f"{live_server.url}/enterprises/{factory.pk}/roster/")
    no_horizontal_scroll(page)
    page.get_by_role("link", name="打卡链接").click()
    page.wait_for_url("**/roster/links/")
    expect(page.locator("#checkin-links svg.checkin-qr")).to_have_count(1 + len(district.neighbours))
    box = page.locator("#checkin-links svg.checkin-qr").first.bounding_box()
    assert box["width"] >= 150  # big enough to scan off the screen
    no_horizontal_scroll(page)
    pdf = page.request.get(live_server.url + page.locator("#print-cards").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert_clean(phone)

    context, officer_tab = _second_phone(browser)
    officer_page = officer_tab.page
    try:
        login(officer_tab, live_server, "sub_officer")
        officer_page.goto(f"{live_server.url}/enterprises/")
        officer_page.get_by_role("link", name="园区", exact=True).click()
        officer_page.get_by_role("link", name="新建园区").click()
        officer_page.wait_for_url("**/enterprises/parks/new/")
        no_horizontal_scroll(officer_page)
        officer_page.fill("#id_name", "幸福里科技园")
        officer_page.select_option("#id_area", str(district.community_a.pk))
        officer_page.get_by_role("button", name="保存").click()
        expect(officer_page.locator("#parks")).to_contain_text("幸福里科技园")
        no_horizontal_scroll(officer_page)
        officer_page.get_by_role("link", name="新建园区").click()
        officer_page.fill("#id_name", "幸福里科技园")
        officer_page.select_option("#id_area", str(district.community_a.pk))
        officer_page.get_by_role("button", name="保存").click()
        expect(officer_page.locator(".errorlist")).to_contain_text("已有名为“幸福里科技园”的园区")
        assert Park.objects.count() == 1
        assert_clean(officer_tab, allow_console=("400",))  # the refused form answers 400
    finally:
        context.close()
