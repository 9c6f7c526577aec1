"""Registering a person on a phone: a wrong check character is explained next to the field, nothing is lost."""

import datetime

import pytest
from playwright.sync_api import expect

from fangkong.core.identity import DocumentType
from fangkong.people.models import Person

from .conftest import assert_clean, login, no_horizontal_scroll, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              # the session-wide live server starts before tests point STATIC_ROOT at a directory
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_wrong_checksum_is_explained_then_fixed(live_server, phone, small_district):
    page = phone.page
    good = resident_id(datetime.date(1948, 2, 29), 364)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    login(phone, live_server, "worker_a")
    page.goto(f"{live_server.url}/people/new/")
    no_horizontal_scroll(page)
    before = Person.objects.count()

    page.fill("#id_name", "赵桂兰")
    page.fill("#id_id_number", wrong)
    page.fill("#id_phone", "139 0371 5566")
    page.select_option("#id_area", str(small_district.community_a.pk))
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()

    field = page.locator(".field.invalid", has=page.locator("#id_id_number"))
    expect(field.locator(".errorlist")).to_have_text("✕ 身份证号码校验位错误".removeprefix("✕ "))
    expect(page.locator(".field.invalid")).to_have_count(1)
    expect(page.locator("#id_name")).to_have_value("赵桂兰")
    expect(page.locator("#id_id_number")).to_have_value(wrong)
    expect(page.locator("#id_phone")).to_have_value("139 0371 5566")
    expect(page.locator("#id_area")).to_have_value(str(small_district.community_a.pk))
    no_horizontal_scroll(page)
    assert Person.objects.count() == before

    page.fill("#id_id_number", good)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/people/*/")
    person = Person.objects.with_document(DocumentType.RESIDENT_ID, good).get()
    assert page.url == f"{live_server.url}/people/{person.pk}/"
    expect(page.locator("h1")).to_contain_text("赵桂兰")
    expect(page.locator(".messages")).to_contain_text("已保存 赵桂兰")
    expect(page.locator("#id-number")).to_have_text(good[:4] + "*" * 10 + good[-4:])
    assert (person.name, person.area, person.birth_date, person.sex) == (
        "赵桂兰", small_district.community_a, datetime.date(1948, 2, 29), "F")
    assert person.phone == "13903715566"
    no_horizontal_scroll(page)
    assert_clean(phone)
