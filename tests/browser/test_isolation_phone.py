"""Isolation on phones at 360 px: a community worker orders home isolation for a key person; the person is denied
at a gate with the isolation reason; from the link on her pass page she reports two temperatures and the
每天清零 board goes to zero; a site worker receives a transfer batch and puts a person into a room."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.accounts.roles import Role
from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, Kind, Room, Site, State
from fangkong.passes import services as passes
from fangkong.passes.models import Declaration, Passage, Place, PlaceKind, PlaceState, Proof, Verdict
from fangkong.screening import services as screening
from fangkong.screening.models import Category

from .conftest import _user, assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_home_isolation_from_order_to_the_gate_to_the_board_at_zero(live_server, browser, phone, small_district):
    person = small_district.person_a
    screening.open_screening(person, Category.objects.get(code="close_contact"), user=small_district.worker_a)
    page = phone.page
    login(phone, live_server, "worker_a")
    page.goto(f"{live_server.url}/people/{person.pk}/")
    page.get_by_role("link", name="下达隔离").click()
    page.wait_for_url(f"**/isolation/new/?person={person.pk}")
    no_horizontal_scroll(page)
    page.select_option("#id_kind", label="居家隔离")
    page.fill("#id_reason", "密切接触者")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.fill("#id_start", yesterday.isoformat())
    page.get_by_role("button", name="下达隔离").click()
    expect(page.locator("#order-state")).to_contain_text("隔离中")
    no_horizontal_scroll(page)
    order = IsolationOrder.objects.get(person=person)
    assert (order.kind, order.state, order.worker) == (Kind.HOME, State.ISOLATING, small_district.worker_a)

    # At the compound gate her phone's one tap is refused, and the reason says isolation.
    gate = Place.objects.create(area=small_district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路12号", contact_name="张三", state=PlaceState.APPROVED,
                                measures_temperature=False)
    Declaration.objects.create(person=person, consent_version="test", visited_risk_area=False, has_symptoms=False,
                               had_contact=False)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        resident = context.new_page()
        context.add_cookies([{"name": passes.DEVICE_COOKIE, "url": live_server.url,
                              "value": passes.device_cookie(
                                  passes.add_to_device(None, person, "本人", proof=Proof.SMS))}])
        resident.goto(f"{live_server.url}/c/{gate.code}")
        resident.get_by_role("button", name="确认通行").click()
        verdict = resident.locator(".verdict")
        expect(verdict).to_contain_text("请联系工作人员")
        expect(verdict).to_contain_text("隔离管控（居家隔离）")
        assert Passage.objects.get(person=person).verdict == Verdict.DENY

        # Yesterday's two readings were missed: two tasks on the worker's board.
        services.open_missed_tasks(yesterday)
        page.goto(f"{live_server.url}/isolation/board/")
        expect(page.locator("#board")).to_contain_text("幸福里社区")
        expect(page.locator("#open-count")).to_contain_text("待处理 2 条")
        no_horizontal_scroll(page)

        # From her pass page she reports them late (补报), one after the other.
        resident.goto(f"{live_server.url}/my/pass/")
        resident.get_by_role("link", name="隔离期间测温上报").click()
        resident.wait_for_url(f"**/m/{order.monitoring_token}/")
        no_horizontal_scroll(resident, 360)
        resident.fill("#id_temperature", "99")
        resident.get_by_role("button", name="提交").click()
        expect(resident.locator("#monitoring-form .errorlist")).to_contain_text("体温应在 34.0 到 43.0 ℃ 之间")
        for temperature in ("36.4", "36.6"):
            resident.select_option("#id_slot", index=1)
            resident.fill("#id_temperature", temperature)
            resident.get_by_role("button", name="提交").click()
            expect(resident.locator(".messages")).to_contain_text("已提交，谢谢配合")
        expect(resident.locator("#my-checks")).to_contain_text("36.6 ℃")
        assert order.checks.count() == 2
    finally:
        context.close()

    page.goto(f"{live_server.url}/isolation/board/")
    expect(page.locator("#board-zero")).to_contain_text("已清零")
    assert_clean(phone)


def test_a_site_worker_receives_a_transfer_and_allocates_a_room(live_server, phone, small_district):
    hotel = Site.objects.create(name="如家酒店隔离点", area=small_district.district, address="中原路1号")
    Room.objects.create(site=hotel, number="301", capacity=1)
    Room.objects.create(site=hotel, number="302", capacity=1)
    staff = _user("site_staff", "隔离点医生", Role.ISOLATION_SITE_STAFF, small_district.district)
    hotel.staff.add(staff)
    orders = [services.order_isolation(p, kind=Kind.CENTRALIZED, user=small_district.worker_a, reason="密切接触者",
                                       start=timezone.localdate() + datetime.timedelta(days=1))
              for p in (small_district.person_a, small_district.neighbours[0])]
    batch = services.create_transfer(user=small_district.worker_a, from_area=small_district.community_a,
                                     to_site=hotel, vehicle="豫A12345", driver="刘师傅", departs_at=timezone.now(),
                                     orders=orders)
    page = phone.page
    login(phone, live_server, "site_staff")
    page.goto(f"{live_server.url}/isolation/sites/{hotel.pk}/")
    expect(page.locator("#free-beds")).to_contain_text("空余床位 2")
    page.locator("#transfers a").click()
    page.wait_for_url(f"**/isolation/transfers/{batch.pk}/")
    page.get_by_role("button", name="确认接收").click()
    expect(page.locator("#batch-state")).to_contain_text("已接收")
    no_horizontal_scroll(page)
    first = page.locator("#batch-persons tbody tr").first
    first.locator("select[name=room]").select_option(label="301（0/1）")
    first.get_by_role("button", name="分配并入住").click()
    expect(page.locator("#batch-persons tbody tr").first).to_contain_text("已入住")
    order = IsolationOrder.objects.get(pk=orders[0].pk)
    assert (order.room.number, order.state) == ("301", State.ISOLATING)
    page.goto(f"{live_server.url}/isolation/sites/{hotel.pk}/")
    expect(page.locator("#free-beds")).to_contain_text("空余床位 1")
    expect(page.locator("#occupancy-chart canvas")).to_have_count(1)  # ECharts drew from the page's JSON
    no_horizontal_scroll(page)
    assert_clean(phone)
