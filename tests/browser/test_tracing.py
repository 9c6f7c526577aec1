"""Tracing on a phone at 360 px and at a desk: a tracer opens a trace for a case, sees the co-located contact ranked
first, acts on it, and the contact's one tap at a gate is then denied with the reason."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.passes import services as passes
from fangkong.passes.models import Declaration, Direction, Passage, Place, PlaceKind, PlaceState, Proof, Verdict

from .conftest import assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def _place(area, name, kind):
    return Place.objects.create(area=area, name=name, kind=kind, address="文化路12号", contact_name="张三",
                                state=PlaceState.APPROVED, measures_temperature=False, records_exit=True)


def _stay(person, place, start, minutes):
    for direction, at in ((Direction.IN, start), (Direction.OUT, start + datetime.timedelta(minutes=minutes))):
        Passage.objects.create(person=person, place=place, area_id=place.area_id, at=at, verdict=Verdict.ALLOW,
                               direction=direction, channel="scan", idempotency_key=f"{person.pk}-{place.pk}-{at}")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_tracer_acts_on_the_first_co_located_contact_and_the_gate_then_denies_it(
        live_server, browser, request, small_district, device):
    tab = request.getfixturevalue(device)
    case, contact = small_district.person_a, small_district.neighbours[0]
    market = _place(small_district.community_a, "幸福里菜市场", PlaceKind.VENUE)
    gate = _place(small_district.community_a, "幸福里小区北门", PlaceKind.COMPOUND_GATE)
    at = timezone.now() - datetime.timedelta(days=2)
    _stay(case, market, at, 60)
    _stay(contact, market, at + datetime.timedelta(minutes=5), 50)
    _stay(small_district.person_b, market, at + datetime.timedelta(minutes=50), 30)

    page = tab.page
    login(tab, live_server, "district_admin")
    page.goto(f"{live_server.url}/tracing/?q=王秀英")
    page.select_option("#id_case", value=str(case.pk))
    page.fill("#id_onset", timezone.localdate().isoformat())
    page.get_by_role("button", name="开始流调").click()
    page.wait_for_url("**/tracing/*/")
    expect(page.locator("#visits")).to_contain_text("幸福里菜市场")
    first = page.locator("#contact-list tbody tr").first
    expect(first).to_have_attribute("data-person", str(contact.pk))
    expect(first).to_contain_text("50 分钟")
    if device == "phone":
        no_horizontal_scroll(page)
    first.get_by_role("checkbox").check()
    page.select_option("#id_category", label="密切接触者")
    page.select_option("#id_isolation_kind", label="集中隔离")
    page.get_by_role("button", name="登记重点人员并下达隔离").click()
    expect(page.locator(".messages")).to_contain_text("新下达隔离 1 人")
    expect(page.locator("#contact-list tbody tr").first).to_contain_text("已转入管控")
    page.get_by_role("link", name="传播链").click()
    # the case, the two at the market and the household member, drawn
    expect(page.locator("#chain")).to_have_attribute("data-ready", "4")
    expect(page.locator("#chain canvas").first).to_be_visible()
    assert_clean(tab)

    # At the compound gate the contact's one tap is refused, and the reason says isolation.
    Declaration.objects.create(person=contact, consent_version="test", visited_risk_area=False, has_symptoms=False,
                               had_contact=False)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        resident = context.new_page()
        context.add_cookies([{"name": passes.DEVICE_COOKIE, "url": live_server.url,
                              "value": passes.device_cookie(
                                  passes.add_to_device(None, contact, "本人", proof=Proof.SMS))}])
        resident.goto(f"{live_server.url}/c/{gate.code}")
        resident.get_by_role("button", name="入", exact=True).click()
        verdict = resident.locator(".verdict")
        expect(verdict).to_contain_text("请联系工作人员")
        expect(verdict).to_contain_text("集中隔离")
    finally:
        context.close()
    assert Passage.objects.filter(person=contact, place=gate).get().verdict == Verdict.DENY
