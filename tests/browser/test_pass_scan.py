"""A resident shows 我的通行码 on her phone; the guard's phone camera reads it in the station page and the
verdict appears. The camera is Chromium's fake capture device playing a video made here from a
screenshot of the resident's QR code (Y4M written by hand: a header and raw YUV 4:2:0 frames)."""

import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.accounts.roles import Role
from fangkong.passes import services as passes
from fangkong.passes.models import Channel, Declaration, Passage, Place, PlaceKind, PlaceState, Proof, Verdict

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, _Tab, _user, _watch, assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

WIDTH, HEIGHT = 640, 480


def y4m_from_png(png: bytes, path, frames=15):
    """A short still video of `png` centred on white, as Chromium's fake camera reads it (it loops)."""
    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("L")
    side = min(WIDTH, HEIGHT) - 60
    picture = picture.resize((side, side), Image.NEAREST)
    canvas = Image.new("L", (WIDTH, HEIGHT), 255)
    canvas.paste(picture, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)  # grey: no colour in either chroma plane
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


def test_the_guard_scans_a_residents_pass_code_with_the_phone_camera(live_server, browser, phone, small_district,
                                                                     tmp_path):
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路12号", contact_name="张三", state=PlaceState.APPROVED,
                                measures_temperature=False, records_exit=False)
    guard = _user("guard_a", "卡点值守甲", Role.CHECKPOINT_STAFF, small_district.community_a)
    gate.staff.add(guard)
    resident = small_district.person_a
    Declaration.objects.create(person=resident, consent_version="test", at=timezone.now(), visited_risk_area=False,
                               has_symptoms=False, had_contact=False)
    device = passes.add_to_device(None, resident, "本人", proof=Proof.SMS)

    # The resident opens 我的通行码 on her phone (registered there earlier by scanning a place code).
    page = phone.page
    page.context.add_cookies([{"name": passes.DEVICE_COOKIE, "value": passes.device_cookie(device),
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/my/pass/")
    card = page.locator("section.pc")
    expect(card).to_have_class("pc green")
    expect(card).to_contain_text("绿码")
    expect(card).to_contain_text("王*英")
    clock = page.locator("[data-clock]")
    first_tick = clock.text_content()
    expect(clock).not_to_have_text(first_tick, timeout=3000)  # a live screen, not a screenshot
    no_horizontal_scroll(page)
    assert_clean(phone)
    video = tmp_path / "camera.y4m"
    y4m_from_png(page.locator(".pc-qr svg").screenshot(), video)

    # The guard's phone: a browser whose camera sees that screen.
    camera_browser = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                             timezone_id="Asia/Shanghai", device_scale_factor=2)
        context.set_default_timeout(10_000)
        context.grant_permissions(["camera"], origin=live_server.url)
        tab = _Tab(context.new_page(), None)
        tab.watched = _watch(tab.page)
        login(tab, live_server, "guard_a")
        station = tab.page
        station.goto(f"{live_server.url}/station/{gate.pk}/")
        expect(station.locator("#pass-panel summary")).to_have_text("扫通行码")
        station.get_by_role("button", name="打开摄像头扫码").click()
        expect(station.locator("#ps-video-wrap")).to_be_visible()

        result = station.locator("#pass-result .ps-result")
        expect(result).to_have_attribute("data-verdict", "allow", timeout=20_000)
        expect(result).to_contain_text("可以通行")
        expect(result).to_contain_text("王*英")
        expect(result).to_contain_text("通行码")
        # The live list below shows the passage without a reload.
        expect(station.locator("#latest .st-item").first).to_contain_text("王*英", timeout=10_000)
        no_horizontal_scroll(station)

        passage = Passage.objects.get()
        assert (passage.person_id, passage.channel, passage.verdict, passage.recorder_id) == (
            resident.pk, Channel.PASS_CODE, Verdict.ALLOW, guard.pk)

        # The same screen still in front of the camera: not sent again. Typing it back by hand is refused.
        station.get_by_role("button", name="下一位").click()
        expect(result).to_have_count(0)
        station.wait_for_timeout(1500)
        assert Passage.objects.count() == 1
        station.fill("#ps-code", "00000000")
        station.get_by_role("button", name="核验", exact=True).click()
        expect(result).to_have_attribute("data-verdict", "refused")
        expect(result).to_contain_text("数字码无效或已过期")
        assert_clean(tab, allow_console=["422"])
    finally:
        camera_browser.close()


def test_the_guard_types_the_number_printed_on_a_pass_card(live_server, phone, small_district):
    """An elderly resident shows her printed 通行卡; the camera cannot read it, so the guard types the number as
    printed, in groups with spaces. Once the card is revoked the same number is refused."""
    from fangkong.healthcode import passcode

    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路12号", contact_name="张三", state=PlaceState.APPROVED,
                                measures_temperature=False, records_exit=False)
    guard = _user("guard_a", "卡点值守甲", Role.CHECKPOINT_STAFF, small_district.community_a)
    gate.staff.add(guard)
    resident = small_district.person_a
    Declaration.objects.create(person=resident, consent_version="test", at=timezone.now(), visited_risk_area=False,
                               has_symptoms=False, had_contact=False)
    card = passcode.issue_card(resident, user=small_district.worker_a)

    login(phone, live_server, "guard_a")
    station = phone.page
    station.goto(f"{live_server.url}/station/{gate.pk}/")
    expect(station.locator("label[for=ps-code]")).to_contain_text("12位卡号")
    station.fill("#ps-code", passcode.card_number_grouped(card))
    station.get_by_role("button", name="核验", exact=True).click()
    result = station.locator("#pass-result .ps-result")
    expect(result).to_have_attribute("data-verdict", "allow")
    expect(result).to_contain_text("王*英")
    passage = Passage.objects.get()
    assert (passage.person_id, passage.channel, passage.recorder_id) == (resident.pk, Channel.CARD, guard.pk)
    no_horizontal_scroll(station)

    passcode.revoke_card(card, user=small_district.worker_a)
    station.get_by_role("button", name="下一位").click()
    station.wait_for_timeout(1300)  # the form accepts the next code after a short pause (double taps)
    station.fill("#ps-code", passcode.card_number_grouped(card))
    station.get_by_role("button", name="核验", exact=True).click()
    expect(result).to_have_attribute("data-verdict", "refused")
    expect(result).to_contain_text("该通行卡已作废")
    assert Passage.objects.count() == 1
    assert_clean(phone, allow_console=["422"])
