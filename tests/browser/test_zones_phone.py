"""Risk zones on phones at 360 px: an officer seals a compound; a resident of it is denied at its gate with the
zone's reason; a medical exception pass lets her out; revoked, then the zone eased to controlled she may not leave
the compound; lifted, she passes everywhere again."""

import pytest
from playwright.sync_api import expect

from fangkong.passes import services as passes
from fangkong.passes.models import Declaration, Passage, Place, PlaceKind, PlaceState, Proof, Verdict
from fangkong.territory.models import Building, Compound, Household, Unit
from fangkong.zones.models import RiskZone, ZoneKind

from .conftest import assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def _place(district, name, kind, compound=None):
    return Place.objects.create(area=district.community_a, name=name, kind=kind, compound=compound,
                                address="文化路12号", contact_name="张三", state=PlaceState.APPROVED,
                                measures_temperature=False)


def test_an_officer_seals_a_compound_and_its_resident_is_held_at_every_gate(live_server, browser, phone,
                                                                              small_district):
    district = small_district
    person = district.person_a
    compound = Compound.objects.create(area=district.community_a, name="幸福里小区", address="文化路12号")
    unit = Unit.objects.create(building=Building.objects.create(compound=compound, name="1号楼"), name="1单元")
    Household.objects.filter(pk=district.household_a.pk).update(unit=unit)
    gate = _place(district, "幸福里小区北门", PlaceKind.COMPOUND_GATE, compound)
    market = _place(district, "丹尼斯超市", PlaceKind.VENUE)
    Declaration.objects.create(person=person, consent_version="test", visited_risk_area=False, has_symptoms=False,
                               had_contact=False)

    page = phone.page
    login(phone, live_server, "district_admin")
    page.goto(f"{live_server.url}/zones/new/")
    no_horizontal_scroll(page)
    page.select_option("#id_kind", label="封控区")
    page.fill("#id_name", "幸福里小区封控区")
    page.get_by_role("button", name="确认划定").click()
    expect(page.locator("#zone-form")).to_contain_text("请填写划定原因")  # kept what was typed, nothing written
    assert not RiskZone.objects.exists()
    page.fill("#id_reason", "发现1例阳性感染者")
    page.get_by_label("幸福里小区 · 幸福里社区").check()
    page.get_by_role("button", name="确认划定").click()
    expect(page.locator("#zone-kind")).to_have_text("封控区")
    expect(page.locator("#zone-population")).to_contain_text("3 人")
    no_horizontal_scroll(page)
    zone = RiskZone.objects.get()

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        resident = context.new_page()
        context.add_cookies([{"name": passes.DEVICE_COOKIE, "url": live_server.url,
                              "value": passes.device_cookie(
                                  passes.add_to_device(None, person, "本人", proof=Proof.SMS))}])

        def tap(place):
            resident.goto(f"{live_server.url}/c/{place.code}")
            resident.get_by_role("button", name="确认通行").click()
            verdict = resident.locator(".verdict")
            expect(verdict).to_be_visible()
            no_horizontal_scroll(resident, 360)
            return verdict

        verdict = tap(gate)
        expect(verdict).to_contain_text("请联系工作人员")
        expect(verdict).to_contain_text("封控区（幸福里小区封控区）：发现1例阳性感染者。封控期间足不出户")
        assert Passage.objects.filter(person=person).latest("id").verdict == Verdict.DENY
        resident.goto(f"{live_server.url}/my/pass/")
        expect(resident.locator(".pc-note").first).to_contain_text("封控区：足不出户，今日不可出行")

        # A medical exception pass lets her out.
        page.goto(f"{live_server.url}/zones/passes/new/")
        no_horizontal_scroll(page)
        page.fill("#id_person", person.id_number)
        page.select_option("#id_kind", label="就医")
        page.fill("#id_reason", "孕检（市妇幼保健院）")
        page.get_by_role("button", name="审批通过").click()
        expect(page.locator("#passes")).to_contain_text("孕检（市妇幼保健院）")
        verdict = tap(market)
        expect(verdict).to_contain_text("可以通行")
        expect(verdict).to_contain_text("例外通行（就医）")

        # Revoked, and the zone eased to controlled: inside the compound yes, out of it no.
        page.get_by_role("button", name="撤销").click()
        page.goto(f"{live_server.url}/zones/{zone.pk}/")
        page.select_option("#id_change_kind", label="管控区")
        page.fill("#id_change_reason", "连续3轮核酸阴性")
        page.get_by_role("button", name="确认调整").click()
        expect(page.locator("#zone-kind")).to_have_text("管控区")
        expect(page.locator("#zone-history")).to_contain_text("封控区 → 管控区")
        expect(tap(gate)).to_contain_text("可以通行")
        verdict = tap(market)
        expect(verdict).to_contain_text("管控期间不出小区")

        # Lifting asks for a reason and a confirmation; then she passes.
        page.get_by_role("button", name="解封").click()
        expect(page.locator("#lift-form")).to_contain_text("确认解封")
        page.fill("#id_lift_reason", "14天无新增，连续3轮核酸阴性")
        page.check("#id_confirm")
        page.get_by_role("button", name="解封").click()
        expect(page.locator("#zone-kind")).to_have_text("已解封")
        no_horizontal_scroll(page)
        verdict = tap(market)
        expect(verdict).to_contain_text("可以通行")
        assert Passage.objects.filter(person=person).latest("id").verdict == Verdict.ALLOW
        assert RiskZone.objects.get().kind == ZoneKind.LIFTED
        assert_clean(phone, allow_console=("status of 422",))  # the refused forms answer 422
    finally:
        context.close()
