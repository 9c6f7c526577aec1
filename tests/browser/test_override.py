"""A health-code override in the browser: one officer requests it, a second approves it, the colour changes."""


import pytest
from playwright.sync_api import expect

from fangkong.healthcode.models import Override, OverrideState

from .conftest import _user, assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def red_person(small_district):
    """王秀英, a close contact: red by the default rules."""
    from fangkong.screening import services as screening
    from fangkong.screening.models import Category

    category = Category.objects.get(code="close_contact")
    screening.open_screening(small_district.person_a, category, user=small_district.worker_a)
    return small_district.person_a


def test_an_officer_requests_and_a_second_officer_approves(live_server, desktop, phone, small_district, red_person):
    from fangkong.accounts.roles import Role

    _user("officer", "街道干部", Role.SUBDISTRICT_OFFICER, small_district.subdistrict)
    person = red_person

    page = desktop.page
    login(desktop, live_server, "officer")
    page.goto(f"{live_server.url}/health-code/persons/{person.pk}/")
    expect(page.locator("#health-code")).to_have_attribute("data-colour", "red")
    expect(page.locator("#health-code")).to_contain_text("红码")
    expect(page.locator("#reasons")).to_contain_text("重点人员：密切接触者")
    page.click("#request-override")
    page.get_by_label("绿码").check()
    page.select_option("#id_reason", "data_error")
    page.get_by_role("button", name="提交申请").click()  # no note: refused next to the field, choices kept
    note_field = page.locator(".field.invalid", has=page.locator("#id_note"))
    expect(note_field.locator(".errorlist")).to_contain_text("请填写具体说明")
    expect(page.locator("#id_reason")).to_have_value("data_error")
    page.fill("#id_note", "排查登记时身份证号录错，已与协查单位核实")
    page.fill("#id_days", "5")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"{live_server.url}/health-code/persons/{person.pk}/")
    expect(page.locator(".messages")).to_contain_text("需另一位审批人审批后生效")
    expect(page.locator("#health-code")).to_have_attribute("data-colour", "red")
    expect(page.locator("#overrides")).to_contain_text("待审批")
    override = Override.objects.get()

    approver = phone.page
    login(phone, live_server, "district_admin")
    approver.goto(f"{live_server.url}/health-code/overrides/")
    row = approver.locator(f"#override-{override.pk}")
    expect(row).to_contain_text("排查登记时身份证号录错")
    no_horizontal_scroll(approver)
    row.get_by_placeholder("审批意见（必填）").fill("核实无误，同意")
    row.get_by_role("button", name="批准").click()
    approver.wait_for_load_state()
    expect(approver.locator(".messages")).to_contain_text("已批准")
    override.refresh_from_db()
    assert (override.state, override.decided_by.username) == (OverrideState.APPROVED, "district_admin")

    page.reload()
    expect(page.locator("#health-code")).to_have_attribute("data-colour", "green")
    expect(page.locator("#health-code")).to_contain_text("绿码")
    expect(page.locator("#reasons")).to_contain_text("人工赋码绿码：数据错误更正")
    expect(page.locator("#overrides")).to_contain_text("已生效")
    approver.goto(f"{live_server.url}/health-code/persons/{person.pk}/")
    no_horizontal_scroll(approver)
    assert_clean(desktop, allow_console=("status of 400",))  # the refused form answers 400
    assert_clean(phone)
