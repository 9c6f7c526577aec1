"""Community workers on a phone: find a person, see the masked card, reveal the full number (audited)."""

import pytest
from playwright.sync_api import expect

from fangkong.audit.models import AuditAction, AuditEvent

from .conftest import assert_clean, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              # the session-wide live server starts before tests point STATIC_ROOT at a directory
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def search(page, live_server, text):
    page.goto(f"{live_server.url}/people/")
    page.fill("input[name=q]", text)
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()


def test_find_by_id_tail_then_reveal_full_number(live_server, phone, small_district):
    page, person = phone.page, small_district.person_a
    number = person.id_number
    login(phone, live_server, "worker_a")
    no_horizontal_scroll(page)

    search(page, live_server, number[-6:])
    rows = page.locator("#persons tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王秀英")
    expect(page.locator("#person-count")).to_contain_text("共 1 人")
    expect(rows.first).to_contain_text(number[:4] + "*" * 10 + number[-4:])
    no_horizontal_scroll(page)

    # The last four digits find the person too.
    search(page, live_server, number[-4:])
    expect(page.locator("#persons tbody tr", has_text="王秀英")).to_have_count(1)

    page.click("#persons >> text=王秀英")
    page.wait_for_url(f"**/people/{person.pk}/")
    masked = number[:4] + "**********" + number[-4:]
    expect(page.locator("#id-number")).to_have_text(masked)
    expect(page.locator("#phone")).to_have_text("139****1234")
    assert number not in page.content()
    assert "13903711234" not in page.content()
    no_horizontal_scroll(page)
    assert not AuditEvent.objects.filter(action=AuditAction.UNMASK).exists()

    with page.expect_response(lambda r: r.url.endswith(f"/people/{person.pk}/reveal/")) as reveal:
        page.get_by_role("button", name="显示完整号码").click()
    assert reveal.value.request.method == "POST" and reveal.value.status == 200
    expect(page.locator("#id-number")).to_have_text(number)
    expect(page.locator("#phone")).to_have_text("13903711234")
    expect(page.locator("#numbers")).to_contain_text("已记录本次查看")
    expect(page.get_by_role("button", name="显示完整号码")).to_have_count(0)
    no_horizontal_scroll(page)

    event = AuditEvent.objects.get(action=AuditAction.UNMASK, object_id=str(person.pk))
    assert event.actor == small_district.worker_a and event.object_type == "people.Person"
    assert number not in str(event.changes)
    assert_clean(phone)


def test_other_community_is_invisible(live_server, phone, desktop, small_district):
    page, other = phone.page, small_district.person_b
    number = other.id_number
    login(phone, live_server, "worker_a")

    for tail in (number[-6:], number[-4:]):
        search(page, live_server, tail)
        expect(page.locator("#persons tbody")).to_contain_text("没有找到人员")
        expect(page.locator("#person-count")).to_contain_text("共 0 人")
    search(page, live_server, "李建国")
    expect(page.locator("#persons tbody")).to_contain_text("没有找到人员")
    assert_clean(phone)

    response = page.goto(f"{live_server.url}/people/{other.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("找不到页面")
    expect(page.locator("main")).to_contain_text("不在您的管辖范围内")
    assert "李建国" not in page.content() and number[-4:] not in page.content()
    no_horizontal_scroll(page)
    # Nor can the reveal endpoint be called for them directly (a valid CSRF token, so only scope stops it).
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    reveal = page.request.post(f"{live_server.url}/people/{other.pk}/reveal/",
                               headers={"X-CSRFToken": csrf, "Referer": f"{live_server.url}/people/"})
    assert reveal.status == 404
    assert not AuditEvent.objects.filter(action=AuditAction.UNMASK).exists()

    # The person exists: their own community's worker finds them with the same search.
    login(desktop, live_server, "worker_b")
    search(desktop.page, live_server, number[-6:])
    expect(desktop.page.locator("#persons tbody tr", has_text="李建国")).to_have_count(1)
    response = desktop.page.goto(f"{live_server.url}/people/{other.pk}/")
    assert response.status == 200
