"""The pass code through its pages and API: 我的通行码 on the resident's phone, 扫通行码 at the station,
and POST /api/pass-codes/verify/ for the place's own staff only."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from fangkong.accounts import tokens
from fangkong.accounts.roles import Role
from fangkong.healthcode import passcode
from fangkong.healthcode.models import Colour, HealthStatus
from fangkong.passes import services as passes
from fangkong.passes.models import Channel, Passage, Proof, RejectedScan, Verdict
from tests.conftest import declare
from tests.healthcode.test_pass_code import make_gate, make_user

pytestmark = pytest.mark.without_thermometer


@pytest.fixture
def phone(district):
    """A resident's phone with 王秀英 (本人) and her son 王志强 registered on it."""
    device = passes.add_to_device(None, district.person_a, "本人", proof=Proof.SMS)
    passes.add_to_device(device, district.person_a_neighbour, "儿子", proof=Proof.SMS)
    for person in (district.person_a, district.person_a_neighbour):
        declare(person)
    client = Client()
    client.cookies[passes.DEVICE_COOKIE] = passes.device_cookie(device)
    return client


def api_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user, verified=False)[1]}")
    return client


# 我的通行码 -----------------------------------------------------------------------------------------

def test_the_phone_shows_a_code_for_each_person_on_it_with_colour_and_latest_test(district, phone):
    HealthStatus.objects.create(person=district.person_a_neighbour, colour=Colour.YELLOW,
                                computed_colour=Colour.YELLOW, reasons=["混管阳性，待复核"],
                                last_test_result="pool_positive", last_test_at=district.person_a.created_at)
    page = phone.get("/my/pass/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") == 2 and html.count('class="pc ') == 2
    assert "王*英" in html and "王*强" in html and "王秀英" not in html
    assert 'class="pc green"' in html and "绿码" in html and "暂无检测记录" in html
    assert 'class="pc yellow"' in html and "黄码" in html and "混管阳性，待复核" in html
    assert "data-clock" in html and 'hx-trigger="every 30s"' in html
    # The short number printed is the one the cache knows, and it stands for a valid token.
    short = re.search(r"data-short>(\d{4}) (\d{4})<", html)
    assert short and passcode.read_token(short[1] + short[2]).person_id in (
        district.person_a.pk, district.person_a_neighbour.pk)
    assert page["Cache-Control"].startswith("max-age=0")


def test_the_code_refreshes_to_a_new_token_and_only_for_people_on_this_phone(district, phone):
    first = phone.get(f"/my/pass/{district.person_a.pk}/").content.decode()
    second = phone.get(f"/my/pass/{district.person_a.pk}/").content.decode()
    shorts = [re.search(r"data-short>(\d{4} \d{4})<", html)[1] for html in (first, second)]
    assert shorts[0] != shorts[1]
    # Someone else's code, or no device at all: nothing, and htmx stops polling (286).
    assert phone.get(f"/my/pass/{district.person_b.pk}/").status_code == 286
    assert Client().get(f"/my/pass/{district.person_a.pk}/").status_code == 286


def test_a_phone_without_registrations_is_told_how_to_start(db):
    page = Client().get("/my/pass/")
    assert page.status_code == 200 and "本机还没有登记人员" in page.content.decode()


def test_the_place_pages_link_to_my_pass_code(district, phone, gate):
    html = phone.get(f"/c/{gate.code}").content.decode()
    assert f'href="/my/pass/?back=/c/{gate.code}"' in html
    page = phone.get(f"/my/pass/?back=/c/{gate.code}").content.decode()
    assert f'href="/c/{gate.code}"' in page
    assert 'href="https://evil.example"' not in phone.get("/my/pass/?back=https://evil.example").content.decode()


# 扫通行码 at the station ------------------------------------------------------------------------------

def test_the_station_page_has_the_scan_panel_with_the_local_decoder(gate, guard, client_for):
    html = client_for(guard).get(f"/station/{gate.pk}/").content.decode()
    assert 'id="pass-panel"' in html and "扫通行码" in html
    assert "/static/vendor/jsQR.js" in html and "/static/healthcode/pass_scan.js" in html


def test_the_station_verifies_a_scanned_code_and_shows_the_verdict(district, phone, gate, guard, client_for):
    station = client_for(guard)
    token = passcode.issue(district.person_a).token
    response = station.post(f"/station/{gate.pk}/pass-code/", {"code": token, "direction": "in"},
                            headers={"x-requested-with": "fetch"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-verdict="allow"' in html and "可以通行" in html and "王*英" in html
    assert response["HX-Trigger"] == "refresh-live"
    assert Passage.objects.get().channel == Channel.PASS_CODE
    # The live list shows the passage with its channel.
    live = station.get(f"/station/{gate.pk}/live/").content.decode()
    assert "通行码" in live

    again = station.post(f"/station/{gate.pk}/pass-code/", {"code": token}, headers={"x-requested-with": "fetch"})
    assert again.status_code == 422
    assert 'data-verdict="refused"' in again.content.decode() and "通行码已使用，请刷新" in again.content.decode()
    assert Passage.objects.count() == 1


def test_a_station_form_without_javascript_gets_a_whole_page(district, gate, guard, client_for):
    declare(district.person_b)
    HealthStatus.objects.create(person=district.person_b, colour=Colour.RED, computed_colour=Colour.RED,
                                reasons=["核酸阳性"])
    response = client_for(guard).post(f"/station/{gate.pk}/pass-code/", {
        "code": passcode.issue(district.person_b).short, "temperature": "36.5"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and "禁止通行" in html and "核酸阳性" in html
    assert Passage.objects.get().temperature is not None


def test_bad_input_at_the_station_changes_nothing(district, gate, guard, client_for):
    station = client_for(guard)
    empty = station.post(f"/station/{gate.pk}/pass-code/", {"code": ""}, headers={"x-requested-with": "fetch"})
    assert empty.status_code == 422 and "请扫描通行码" in empty.content.decode()
    hot = station.post(f"/station/{gate.pk}/pass-code/", {"code": passcode.issue(district.person_a).token,
                                                          "temperature": "58"}, headers={"x-requested-with": "fetch"})
    assert hot.status_code == 422 and "34.0 到 43.0" in hot.content.decode()
    assert Passage.objects.count() == 0


def test_another_places_guard_gets_a_404(district, gate, client_for):
    other = make_user("guard_b", Role.CHECKPOINT_STAFF, district.community_b)
    make_gate(district.community_b, "李庄村口").staff.add(other)
    response = client_for(other).post(f"/station/{gate.pk}/pass-code/",
                                      {"code": passcode.issue(district.person_a).token})
    assert response.status_code == 404
    assert Passage.objects.count() == 0 and RejectedScan.objects.count() == 0


# API --------------------------------------------------------------------------------------------

def test_the_api_verifies_a_code_for_the_places_staff(district, gate, guard):
    declare(district.person_a)
    api = api_for(guard)
    token = passcode.issue(district.person_a).token

    response = api.post("/api/pass-codes/verify/", {"code": token, "place": gate.pk}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == Verdict.ALLOW and body["person"] == district.person_a.pk
    assert body["person_name"] == "王*英" and body["channel"] == "pass_code"
    assert body["passage"] == Passage.objects.get().pk

    replay = api.post("/api/pass-codes/verify/", {"code": token, "place": gate.pk}, format="json")
    assert replay.status_code == 400
    assert replay.json() == {"code": ["通行码已使用，请刷新"], "reason": "pass_replayed"}


def test_the_api_gives_the_reasons_of_a_denial(district, gate, guard):
    declare(district.person_a, had_contact=True)
    HealthStatus.objects.create(person=district.person_a, colour=Colour.RED, computed_colour=Colour.RED,
                                reasons=["重点人员：密切接触者"])
    body = api_for(guard).post("/api/pass-codes/verify/", {"code": passcode.issue(district.person_a).token,
                                                           "place": gate.pk}, format="json").json()
    assert body["verdict"] == Verdict.DENY
    assert "申报接触过确诊或疑似人员" in body["reasons"]
    assert any("密切接触者" in reason for reason in body["reasons"])


def test_the_api_is_for_the_places_staff_only(district, gate, users):
    token = passcode.issue(district.person_a).token
    payload = {"code": token, "place": gate.pk}
    # Not logged in.
    assert APIClient().post("/api/pass-codes/verify/", payload, format="json").status_code in (401, 403)
    # A place outside the user's scope looks like no place at all.
    assert api_for(users.worker_b).post("/api/pass-codes/verify/", payload, format="json").status_code == 404
    # In scope but without the right to record passages (the read-only leader): refused.
    assert api_for(users.leader).post("/api/pass-codes/verify/", payload, format="json").status_code == 403
    # A guard of another post in the same community: refused.
    other = make_user("guard_c", Role.CHECKPOINT_STAFF, district.community_a)
    assert api_for(other).post("/api/pass-codes/verify/", payload, format="json").status_code == 403
    assert Passage.objects.count() == 0 and RejectedScan.objects.count() == 0


def test_the_api_refuses_a_forged_code_and_counts_it(district, gate, guard):
    response = api_for(guard).post("/api/pass-codes/verify/", {"code": "FK1" + "B" * 40, "place": gate.pk},
                                   format="json")
    assert response.status_code == 400 and response.json()["reason"] == "pass_forged"
    assert RejectedScan.objects.get().place == gate


def test_the_guard_types_the_printed_card_number_at_the_station(district, gate, guard, client_for, users):
    """The number on the card, typed with its spaces, records a passage for the card's person; once the card is
    revoked, its number is refused and nothing is recorded."""
    declare(district.person_a)
    card = passcode.issue_card(district.person_a, user=users.worker_a)
    station = client_for(guard)
    response = station.post(f"/station/{gate.pk}/pass-code/", {"code": passcode.card_number_grouped(card)},
                            headers={"x-requested-with": "fetch"})
    assert response.status_code == 200 and "可以通行" in response.content.decode()
    passage = Passage.objects.get()
    assert passage.person == district.person_a and passage.channel == Channel.CARD and passage.place == gate

    via_api = api_for(guard).post("/api/pass-codes/verify/", {"code": passcode.card_number(card), "place": gate.pk},
                                  format="json")
    assert via_api.status_code == 200 and via_api.json()["channel"] == Channel.CARD

    passcode.revoke_card(card, user=users.worker_a)
    refused = station.post(f"/station/{gate.pk}/pass-code/", {"code": passcode.card_number_grouped(card)},
                           headers={"x-requested-with": "fetch"})
    assert refused.status_code == 422 and "该通行卡已作废" in refused.content.decode()
    assert Passage.objects.count() == 2
    assert RejectedScan.objects.get().reason == passcode.CARD_REVOKED


def test_the_card_list_shows_the_end_of_each_cards_number(district, users, client_for):
    card = passcode.issue_card(district.person_a, user=users.worker_a)
    html = client_for(users.worker_a).get(f"/pass-cards/person/{district.person_a.pk}/").content.decode()
    number = passcode.card_number(card)
    assert f"**** **** {number[-4:]}" in html and number not in html
