"""On a 360 px phone: a shop applies for its place code, the community approves it and downloads the poster."""

import pytest
from playwright.sync_api import expect

from fangkong.passes.models import Place, PlaceState

from .conftest import assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              # the session-wide live server starts before tests point STATIC_ROOT at a directory
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_a_unit_applies_and_the_community_approves_and_prints_its_poster(live_server, phone, small_district,
                                                                         settings):
    settings.FANGKONG_REQUIRE_ADMIN_OTP = False
    page = phone.page

    # The shop applies on its own phone, without an account.
    page.goto(f"{live_server.url}/register/")
    no_horizontal_scroll(page)
    page.fill("#id_name", "好又多超市（文化路店）")
    page.select_option("#id_kind", "venue")
    page.select_option("#id_community", str(small_district.community_a.pk))
    page.fill("#id_address", "文化路18号")
    page.fill("#id_contact_name", "李娟")
    page.fill("#id_contact_phone", "1390371")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state()
    field = page.locator(".field.invalid", has=page.locator("#id_contact_phone"))
    expect(field.locator(".errorlist")).to_contain_text("手机号码应为11位")
    expect(page.locator("#id_name")).to_have_value("好又多超市（文化路店）")
    page.fill("#id_contact_phone", "139 0371 0001")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("h1")).to_have_text("已提交，等待审核")
    expect(page.locator("main")).to_contain_text("等待幸福里社区审核")
    place = Place.objects.get()
    assert place.state == PlaceState.PENDING
    no_horizontal_scroll(page)

    # The community worker sees it waiting, tries to reject without a reason, then approves.
    page.context.clear_cookies()
    login(phone, live_server, "worker_a")
    page.goto(f"{live_server.url}/places/")
    expect(page.locator("#pending-count")).to_contain_text("1 个场所待审核")
    no_horizontal_scroll(page)
    page.locator("#pending-count a").click()
    page.get_by_role("link", name="好又多超市（文化路店）").click()
    page.wait_for_url(f"{live_server.url}/places/{place.pk}/")
    expect(page.locator("h1 .state")).to_contain_text("待审核")
    expect(page.locator("main")).to_contain_text("139****0001")
    no_horizontal_scroll(page)

    page.get_by_role("button", name="不通过").click()
    page.wait_for_load_state()
    expect(page.locator("#review .errorlist")).to_contain_text("不通过时必须填写原因")
    place.refresh_from_db()
    assert place.state == PlaceState.PENDING

    page.locator("button[name=decision][value=approve]").click()
    expect(page.locator(".messages")).to_contain_text("已通过审核")
    expect(page.locator("h1 .state")).to_contain_text("已启用")
    place.refresh_from_db()
    assert place.state == PlaceState.APPROVED
    expect(page.locator("#scan-url")).to_have_text(place.scan_url)
    no_horizontal_scroll(page)

    # The poster downloads as a PDF.
    with page.expect_response(lambda r: r.url.endswith(f"/places/{place.pk}/poster.pdf")) as response_info, \
            page.expect_download() as download_info:
        page.locator("#poster-link").click()
    response = response_info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    with open(download_info.value.path(), "rb") as poster:
        assert poster.read(5) == b"%PDF-"
    assert download_info.value.suggested_filename.endswith(".pdf")
    assert_clean(phone)
