"""A thirty-character name and a long address at a 360 px gate: the text wraps, the pages never scroll sideways."""

import datetime

import pytest
from playwright.sync_api import expect

from fangkong.accounts.roles import Role
from fangkong.passes import services
from fangkong.passes.models import Place, PlaceKind, PlaceState

from .conftest import _user, login, no_horizontal_scroll, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

LONG_NAME = "阿卜杜热合曼·买买提艾力阿不都克力木·吐尔逊巴克艾则孜阿力木"  # 30 characters: the longest a name may be
LONG_LATIN = "Wolfeschlegelsteinhausenbergerdorffvoralt"[:40]  # one word of 40 letters, the Latin maximum
LONG_ADDRESS = "东风街道幸福里社区幸福里小区北区十二号楼三单元一千二百零三室旁边的车棚后面那一排平房的最东头"


def test_a_guard_and_an_officer_read_a_long_name_without_scrolling_sideways(live_server, phone, small_district):
    assert len(LONG_NAME) == 30
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区北区十二号楼东侧消防通道临时卡点",
                                kind=PlaceKind.COMPOUND_GATE, address=LONG_ADDRESS, contact_name="张三",
                                state=PlaceState.APPROVED, records_exit=True)
    guard = _user("guard_a", "卡点值守甲", Role.CHECKPOINT_STAFF, small_district.community_a)
    gate.staff.add(guard)
    services.register_and_pass(gate, guard, name=LONG_NAME, id_type="resident_id",
                               id_number=resident_id(datetime.date(1988, 2, 9), 615),
                               idempotency_key="long-name-1")
    services.register_and_pass(gate, guard, name=LONG_LATIN, id_type="passport", id_number="E12345678",
                               idempotency_key="long-name-2")

    login(phone, live_server, "guard_a")
    page = phone.page
    page.goto(f"{live_server.url}/station/")
    expect(page.locator("#count-in")).to_have_text("2")
    no_horizontal_scroll(page)

    page.context.clear_cookies()  # the community's officer looks the passages up
    login(phone, live_server, "worker_a")
    page.goto(f"{live_server.url}/passages/records/")
    expect(page.get_by_text(LONG_LATIN)).to_be_visible()
    no_horizontal_scroll(page)


def test_a_resident_with_a_long_name_sees_the_result_screen_within_the_phone(live_server, phone, small_district):
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区北区十二号楼东侧消防通道临时卡点",
                                kind=PlaceKind.COMPOUND_GATE, address=LONG_ADDRESS, contact_name="张三",
                                state=PlaceState.APPROVED)
    page = phone.page
    page.goto(f"{live_server.url}/c/{gate.code}")
    page.fill("#id_name", LONG_NAME.replace("·", "•"))  # typed with a bullet: stored with the interpunct
    page.fill("#id_id_number", resident_id(datetime.date(1990, 4, 8), 733))
    page.fill("#id_address", LONG_ADDRESS)
    for question in ("visited_risk_area", "has_symptoms", "had_contact"):
        page.check(f"input[name={question}][value=no]")
    page.check("#id_consent")
    page.get_by_role("button", name="提交并通行").click()
    page.wait_for_load_state()
    expect(page.locator(".verdict")).to_be_visible()
    no_horizontal_scroll(page)

    page.goto(f"{live_server.url}/c/{gate.code}/mine")
    no_horizontal_scroll(page)
