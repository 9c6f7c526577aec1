"""What anyone on the internet side may ask without an account is limited, in the cache every process shares,
by client address and by target: the resident pages behind a place code, declarations (by address and by the
identity number declared), made-up codes (past the limit they cost no write), the places' self-registration
(by address and by community), the pass code pages, pass code verification and API tokens. Past a limit the
answer is 429 with Retry-After: a Chinese page, or Chinese JSON from the API."""

import json
import secrets

import pytest
from django.test import Client
from live_servers import app_servers  # noqa: F401  (fixture)
from office_helpers import make_place

from fangkong.core import limits
from fangkong.passes.models import Declaration, Place, RejectedScan
from fangkong.people.models import Person

ANSWERS = {"visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no", "consent": "on"}


def only(settings, **rules):
    """These limits (and the defaults' others unchanged)."""
    settings.FANGKONG_LIMITS = {**settings.FANGKONG_LIMITS, **rules}


def declare(gate, number, name="王测试", address="198.51.100.7"):
    return Client(REMOTE_ADDR=address).post(f"/c/{gate.code}/declare", {
        "name": name, "id_type": "resident_id", "id_number": number, "phone": "", **ANSWERS})


@pytest.mark.parametrize(("text", "count", "seconds"), [("30/10m", 30, 600), ("20/h", 20, 3600), ("5/1s", 5, 1),
                                                        (" 100 / 2d ", 100, 172800)])
def test_rates_read_as_a_count_per_period(text, count, seconds):
    assert limits.parse(text) == limits.Rate(count, seconds)


@pytest.mark.parametrize("text", ["30", "30/10", "x/m", "30/10y", ""])
def test_a_rate_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        limits.parse(text)


def test_a_flood_of_declarations_from_one_address_stops_before_it_writes_persons(district, settings,
                                                                                 new_resident_id):
    only(settings, declare={"address": "5/10m", "target": "5/10m"})
    gate = make_place(district.community_a, "幸福里小区北门")
    persons = Person.objects.count()
    answers = [declare(gate, new_resident_id()) for _ in range(12)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    refused = answers[5]
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 600
    html = refused.content.decode()
    assert "请求太频繁" in html and "分钟后再试" in html
    assert {a.status_code for a in answers[5:]} == {429}
    assert Person.objects.count() == persons + 5 and Declaration.objects.count() == 5
    # another address is not held back by this one's flood
    assert declare(gate, new_resident_id(), address="198.51.100.8").status_code == 200


def test_one_identity_number_declared_from_many_addresses_is_limited(district, settings, new_resident_id):
    only(settings, declare={"address": "60/10m", "target": "3/10m"})
    gate = make_place(district.community_a, "幸福里小区北门")
    number = new_resident_id()
    answers = [declare(gate, number, address=f"203.0.113.{n}") for n in range(1, 6)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert declare(gate, new_resident_id(), address="203.0.113.9").status_code == 200


def test_made_up_codes_past_the_limit_cost_no_write_and_real_codes_still_work(district, settings):
    only(settings, unknown_code={"address": "5/10m"})
    gate = make_place(district.community_a, "幸福里小区北门")
    client = Client(REMOTE_ADDR="198.51.100.7")
    answers = [client.get(f"/c/{secrets.token_urlsafe(16)}") for _ in range(30)]
    assert [a.status_code for a in answers[:5]] == [404] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    assert "Retry-After" in answers[5]
    assert RejectedScan.objects.count() == 5
    assert client.get(f"/c/{gate.code}").status_code == 200  # a resident behind the same address still passes
    assert Client(REMOTE_ADDR="198.51.100.8").get(f"/c/{secrets.token_urlsafe(16)}").status_code == 404


def test_the_resident_pages_are_limited_per_address(district, settings):
    only(settings, scan={"address": "4/1m"})
    gate = make_place(district.community_a, "幸福里小区北门")
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert [client.get(f"/c/{gate.code}").status_code for _ in range(6)] == [200] * 4 + [429] * 2
    assert client.post(f"/c/{gate.code}/pass", {}).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.8").get(f"/c/{gate.code}").status_code == 200


def test_the_pass_code_pages_are_limited_per_address(db, settings):
    only(settings, my_pass={"address": "3/1m"})
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert [client.get("/my/pass/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/my/pass/1/").status_code == 429


def registration(district, name, community=None):
    return {"name": name, "kind": "venue", "community": (community or district.community_a).pk,
            "address": "文化路12号", "contact_name": "张三", "contact_phone": "13800138000"}


def test_self_registration_is_limited_per_community_across_addresses(district, settings):
    only(settings, register={"address": "20/h", "target": "3/h"})
    answers = [Client(REMOTE_ADDR=f"203.0.113.{n}").post("/register/", registration(district, f"商店{n}"))
               for n in range(1, 6)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429, 429]
    assert Place.objects.count() == 3
    other = Client(REMOTE_ADDR="203.0.113.9").post("/register/", registration(district, "别处商店",
                                                                                 district.community_b))
    assert other.status_code == 302


def test_token_requests_are_limited_per_username_across_addresses(db, settings):
    only(settings, token={"address": "20/1m", "target": "3/10m"})
    answers = [Client(REMOTE_ADDR=f"203.0.113.{n}").post("/api/auth/token/", {"username": "district_admin",
                                                                               "password": "guess"})
               for n in range(1, 6)]
    assert [a.status_code for a in answers] == [400, 400, 400, 429, 429]
    refused = answers[3]
    assert "请求太频繁" in refused.json()["detail"] and int(refused["Retry-After"]) > 0


def test_pass_code_verification_is_limited_per_staff_member(settings, station_guard, gate):
    only(settings, pass_verify={"address": "600/1m", "target": "2/1m"})
    answers = [station_guard.post("/api/pass-codes/verify/", {"code": "00000000", "place": gate.pk})
               for _ in range(3)]
    assert 429 not in [a.status_code for a in answers[:2]] and answers[2].status_code == 429
    assert "请求太频繁" in answers[2].json()["detail"] and "Retry-After" in answers[2]
    page = station_guard.post(f"/station/{gate.pk}/pass-code/", {"code": "00000000"})
    assert page.status_code == 429 and "请求太频繁" in page.content.decode()


def test_limits_are_counted_once_for_every_process(app_servers, district):  # noqa: F811
    """Two server processes sharing Redis count one address's made-up codes together: the limit is the
    deployment's, not four times it with four workers."""
    a, b = app_servers(2, FANGKONG_LIMITS=json.dumps({"unknown_code": {"address": "4/10m"}}))
    assert [server.get(f"/c/{secrets.token_urlsafe(16)}").status for server in (a, b, a, b)] == [404] * 4
    assert b.get(f"/c/{secrets.token_urlsafe(16)}").status == 429
    assert a.get(f"/c/{secrets.token_urlsafe(16)}").status == 429
    assert RejectedScan.objects.count() == 4
