"""The checkpoint station: scope, assisted registration, vehicles, temperature corrections, live list."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from office_helpers import checkpoint_user, make_place, passage

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.passes import services
from fangkong.passes.models import Channel, Declaration, DutyShift, Passage, PassageAck, Verdict
from fangkong.people.models import Person
from tests.conftest import declare

TOKEN = "a" * 32


@pytest.fixture
def station(client_for, guard):
    return client_for(guard)


def assist_form(number, name="刘桂兰", temperature="36.6", token=TOKEN, **extra):
    return {"id_type": "resident_id", "id_number": number, "name": name, "phone": "", "temperature": temperature,
            "direction": "in", "visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no", "consent": "on",
            "token": token, **extra}


# Scope --------------------------------------------------------------------------------------------

def test_a_guard_goes_straight_to_their_own_checkpoint(station, gate):
    response = station.get("/station/")
    assert response.status_code == 302 and response["Location"] == f"/station/{gate.pk}/"
    page = station.get(f"/station/{gate.pk}/")
    assert page.status_code == 200
    assert "幸福里小区北门" in page.content.decode()


def test_a_guard_cannot_open_or_record_at_a_place_that_is_not_theirs(district, station, guard, new_resident_id):
    # Same community, but the guard is not on its staff or duty roster; and a place in another community.
    other_gate = make_place(district.community_a, "幸福里小区南门")
    far_gate = make_place(district.community_b, "李庄村口")
    for place in (other_gate, far_gate):
        assert station.get(f"/station/{place.pk}/").status_code == 404
        assert station.get(f"/station/{place.pk}/live/").status_code == 404
        response = station.post(f"/station/{place.pk}/assist/", assist_form(new_resident_id()))
        assert response.status_code == 404
        assert not services.may_record_at(guard, place)
        with pytest.raises(PermissionDenied):
            services.record_passage(district.person_a, place, channel=Channel.ASSISTED, recorder=guard,
                                    idempotency_key="x")
    assert Passage.objects.count() == 0


def test_a_duty_shift_gives_access_to_the_place_and_shows_who_is_on_duty(district, client_for, gate):
    night = checkpoint_user("night_guard", district.community_a)
    now = timezone.now()
    DutyShift.objects.create(place=gate, user=night, starts_at=now - timedelta(hours=1),
                             ends_at=now + timedelta(hours=7), duty="测温")
    page = client_for(night).get(f"/station/{gate.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "卡点night_guard" in html and "测温" in html


def test_a_suspended_place_has_no_station(station, gate):
    gate.state = "suspended"
    gate.save()
    assert station.get(f"/station/{gate.pk}/").status_code == 404


def test_someone_without_a_checkpoint_is_told_so(users, client_for):
    page = client_for(users.worker_a).get("/station/")
    assert page.status_code == 200
    assert "您还没有被安排到任何卡点" in page.content.decode()


# Assisted registration ----------------------------------------------------------------------------

def test_assisted_registration_registers_the_person_records_the_passage_and_is_audited(
        district, station, guard, gate, new_resident_id):
    number = new_resident_id("1948-02-03")
    response = station.post(f"/station/{gate.pk}/assist/", assist_form(number, "刘桂兰", "36.6"))
    assert response.status_code == 302
    person = Person.objects.with_document("resident_id", number).get()
    assert (person.name, person.area) == ("刘桂兰", district.community_a)
    passage = Passage.objects.get(person=person)
    assert (passage.channel, passage.recorder, passage.place, passage.verdict) == (
        Channel.ASSISTED, guard, gate, Verdict.ALLOW)
    assert passage.temperature == Decimal("36.6")
    declaration = Declaration.objects.get(person=person)
    assert declaration.consent_version.endswith("assisted") and not declaration.has_symptoms
    event = AuditEvent.objects.get(object_type="passes.Passage", object_id=str(passage.pk))
    assert event.action == AuditAction.CREATE and event.actor == guard
    assert event.changes["channel"] == "assisted" and event.changes["registered_by_staff"] is True
    # The next page says what happened, with the masked name.
    page = station.get(f"/station/{gate.pk}/").content.decode()
    assert "刘*兰 已登记：通行" in page


def test_assisted_registration_of_a_known_person_uses_their_record(district, station, gate):
    response = station.post(f"/station/{gate.pk}/assist/", assist_form(district.numbers["a"], "王秀英"))
    assert response.status_code == 302
    assert Passage.objects.get().person == district.person_a
    assert Person.objects.count() == 5


def test_a_name_that_does_not_match_the_document_is_refused(district, station, gate):
    response = station.post(f"/station/{gate.pk}/assist/", assist_form(district.numbers["a"], "王秀兰"))
    assert response.status_code == 200
    assert "证件号码与姓名不一致" in response.content.decode()
    assert Passage.objects.count() == 0


def test_answers_given_to_the_guard_decide_the_verdict(station, gate, new_resident_id):
    station.post(f"/station/{gate.pk}/assist/", assist_form(new_resident_id(), has_symptoms="yes"))
    passage = Passage.objects.get()
    assert passage.verdict == Verdict.DENY
    assert "申报有发热、咳嗽等症状" in passage.reasons


@pytest.mark.parametrize("temperature", ["33.9", "43.1", "45", "abc"])
def test_an_impossible_temperature_is_explained_keeps_the_form_and_writes_nothing(
        station, gate, temperature, new_resident_id):
    number = new_resident_id()
    people_before = Person.objects.count()
    response = station.post(f"/station/{gate.pk}/assist/", assist_form(number, "刘桂兰", temperature))
    assert response.status_code == 200
    html = response.content.decode()
    assert "体温应在 34.0 到 43.0 ℃ 之间" in html or "体温请填写数字" in html
    # What the guard typed is still there.
    assert f'value="{number}"' in html and 'value="刘桂兰"' in html and f'value="{temperature}"' in html
    assert Passage.objects.count() == 0 and Person.objects.count() == people_before
    assert Declaration.objects.count() == 0


def test_a_bad_checksum_and_a_bad_temperature_are_told_in_one_round(station, gate, new_resident_id):
    number = new_resident_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = station.post(f"/station/{gate.pk}/assist/", assist_form(wrong, "刘桂兰", "48", phone="12345"))
    html = response.content.decode()
    assert "体温应在 34.0 到 43.0 ℃ 之间" in html and "校验" in html and "手机号码应为11位" in html
    assert Passage.objects.count() == 0 and Person.objects.filter(name="刘桂兰").count() == 0


@pytest.mark.parametrize("temperature", ["34.0", "43.0", "36.55"])
def test_temperatures_at_the_bounds_are_accepted(station, gate, temperature, new_resident_id):
    response = station.post(f"/station/{gate.pk}/assist/", assist_form(new_resident_id(), temperature=temperature))
    assert response.status_code == 302
    assert Passage.objects.count() == 1


def test_every_missing_field_is_explained_next_to_it(station, gate):
    response = station.post(f"/station/{gate.pk}/assist/", {"token": TOKEN, "id_type": "resident_id"})
    html = response.content.decode()
    assert "请填写证件号码" in html and "请填写姓名" in html
    assert "请先询问健康情况并告知用途，再勾选" in html
    assert Passage.objects.count() == 0


def test_a_double_submission_writes_one_passage_and_one_declaration(station, gate, new_resident_id):
    form = assist_form(new_resident_id())
    assert station.post(f"/station/{gate.pk}/assist/", form).status_code == 302
    assert station.post(f"/station/{gate.pk}/assist/", form).status_code == 302
    assert Passage.objects.count() == 1 and Declaration.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="passes.Passage").count() == 1
    # A new render has a new token: the next person is a new passage.
    page = station.get(f"/station/{gate.pk}/").content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page)[1]
    assert token != TOKEN
    station.post(f"/station/{gate.pk}/assist/", assist_form(new_resident_id(), token=token))
    assert Passage.objects.count() == 2


def test_the_page_shows_a_fresh_token_on_every_render(station, gate):
    tokens = {re.search(r'name="token" value="([0-9a-f]{32})"', station.get(f"/station/{gate.pk}/").content.decode())[1]
              for _ in range(3)}
    assert len(tokens) == 3


def test_an_entry_only_place_does_not_ask_for_a_direction(district, client_for, new_resident_id):
    place = make_place(district.community_a, "菜市场", records_exit=False)
    guard = checkpoint_user("market_guard", district.community_a, place)
    client = client_for(guard)
    assert 'name="direction"' not in client.get(f"/station/{place.pk}/").content.decode()
    response = client.post(f"/station/{place.pk}/assist/", assist_form(new_resident_id(), direction="out"))
    assert response.status_code == 302
    assert Passage.objects.get().direction == "in"


# Vehicles -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, plate", [("豫A12345", "豫A12345"), ("豫a 12345", "豫A12345"), ("豫AD12345", "豫AD12345"),
                                        ("豫A12345D", "豫A12345D"), ("京B·8888学", "京B8888学")])
def test_plates_are_normalised(raw, plate):
    assert services.normalize_plate(raw) == plate


@pytest.mark.parametrize("raw", ["A12345", "豫A1234", "豫I12345", "豫A123456789", "XA12345", "豫AD1234X", ""])
def test_bad_plates_are_refused_in_chinese(raw):
    with pytest.raises(ValidationError) as exc:
        services.normalize_plate(raw)
    assert "车牌号格式不正确" in exc.value.messages[0]


def vehicle_form(plate="豫A12345", rows=(), recent=(), token=TOKEN, **extra):
    data = {"plate": plate, "direction": "in", "visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no",
            "consent": "on", "token": token, "recent": list(recent), **extra}
    for index, (number, name, temperature) in enumerate(rows):
        data.update({f"o{index}_id_number": number, f"o{index}_name": name, f"o{index}_temperature": temperature})
    return data


def test_a_vehicle_records_one_passage_per_person_with_the_plate(district, station, guard, gate, new_resident_id):
    # 王秀英 passed on foot a moment ago: she can be picked as a passenger instead of typed again.
    declare(district.person_a)
    passage(district.person_a, gate, at=timezone.now() - timedelta(minutes=5))
    page = station.get(f"/station/{gate.pk}/").content.decode()
    assert f'name="recent" value="{district.person_a.pk}"' in page
    driver, rider = new_resident_id("1979-01-02"), new_resident_id("2001-09-10")
    response = station.post(f"/station/{gate.pk}/vehicle/", vehicle_form(
        "豫a 88k66", rows=[(driver, "赵师傅", "36.4"), (rider, "赵小明", "36.8")], recent=[district.person_a.pk]))
    assert response.status_code == 302, response.content.decode()
    vehicle = Passage.objects.filter(channel=Channel.VEHICLE)
    assert vehicle.count() == 3
    assert set(vehicle.values_list("vehicle_plate", flat=True)) == {"豫A88K66"}
    assert {p.person.name for p in vehicle} == {"赵师傅", "赵小明", "王秀英"}
    assert set(vehicle.values_list("recorder", flat=True)) == {guard.pk}
    assert AuditEvent.objects.filter(object_type="passes.Passage", changes__vehicle_plate="豫A88K66").count() == 3
    # Sent twice: nothing more.
    station.post(f"/station/{gate.pk}/vehicle/", vehicle_form(
        "豫a 88k66", rows=[(driver, "赵师傅", "36.4"), (rider, "赵小明", "36.8")], recent=[district.person_a.pk]))
    assert Passage.objects.filter(channel=Channel.VEHICLE).count() == 3


def test_one_bad_row_stops_the_whole_vehicle_and_says_which(station, gate, new_resident_id):
    good = new_resident_id()
    bad = good[:17] + ("1" if good[17] == "0" else "0")
    people_before = Person.objects.count()
    response = station.post(f"/station/{gate.pk}/vehicle/", vehicle_form(
        rows=[(new_resident_id(), "赵师傅", "36.4"), (bad, "赵小明", "36.8")]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "身份证号码校验位错误" in html
    assert f'value="{bad}"' in html and 'value="赵师傅"' in html
    assert Passage.objects.count() == 0 and Person.objects.count() == people_before


def test_a_vehicle_needs_a_valid_plate_and_a_driver(station, gate, new_resident_id):
    html = station.post(f"/station/{gate.pk}/vehicle/", vehicle_form(
        "豫A1", rows=[(new_resident_id(), "赵师傅", "36.4")])).content.decode()
    assert "车牌号格式不正确" in html and 'value="豫A1"' in html
    html = station.post(f"/station/{gate.pk}/vehicle/", vehicle_form()).content.decode()
    assert "请至少登记司机一人" in html
    html = station.post(f"/station/{gate.pk}/vehicle/", vehicle_form(
        rows=[(new_resident_id(), "赵师傅", "48")])).content.decode()
    assert "体温应在 34.0 到 43.0 ℃ 之间" in html
    assert Passage.objects.count() == 0


def test_only_people_who_passed_here_recently_can_be_picked(district, station, gate):
    other = make_place(district.community_a, "别处")
    passage(district.person_b, other)
    response = station.post(f"/station/{gate.pk}/vehicle/", vehicle_form(recent=[district.person_b.pk]))
    assert response.status_code == 200
    assert Passage.objects.filter(channel=Channel.VEHICLE).count() == 0


# Temperature corrections --------------------------------------------------------------------------

def test_a_temperature_taken_later_is_a_correction_not_an_edit(district, station, guard, gate):
    declare(district.person_a)
    original = services.record_passage(district.person_a, gate, channel=Channel.SCAN, idempotency_key="scan-1")
    assert original.temperature is None and original.verdict == Verdict.WARN  # 未测体温
    url = f"/station/{gate.pk}/passages/{original.pk}/temperature/"
    panel = station.get(url, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and 'name="temperature"' in panel.content.decode()
    response = station.post(url, {"temperature": "38.2", "token": TOKEN}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "refresh-live"
    assert "38.2℃" in response.content.decode() and "禁止" in response.content.decode()
    correction = Passage.objects.get(corrects=original)
    assert (correction.person, correction.place, correction.direction, correction.at) == (
        original.person, original.place, original.direction, original.at)
    assert correction.temperature == Decimal("38.2") and correction.verdict == Verdict.DENY
    assert correction.recorder == guard
    original.refresh_from_db()
    assert original.temperature is None and original.verdict == Verdict.WARN  # untouched
    event = AuditEvent.objects.get(object_type="passes.Passage", object_id=str(correction.pk))
    assert event.changes["corrects"] == original.pk
    # Sent again: still one correction. Counts stay at one passage.
    station.post(url, {"temperature": "38.2", "token": TOKEN}, HTTP_HX_REQUEST="true")
    assert Passage.objects.filter(corrects=original).count() == 1
    feed = services.station_feed(gate)
    assert feed["count_in"] == 1
    assert [p.pk for p in feed["flagged"]] == [correction.pk]
    assert original.pk not in [p.pk for p in feed["latest"]]


def test_a_bad_temperature_correction_keeps_the_value_and_writes_nothing(district, station, gate):
    original = passage(district.person_a, gate, temperature=None, verdict=Verdict.WARN)
    url = f"/station/{gate.pk}/passages/{original.pk}/temperature/"
    response = station.post(url, {"temperature": "52", "token": TOKEN}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "体温应在 34.0 到 43.0 ℃ 之间" in html and 'value="52"' in html
    response = station.post(url, {"temperature": "", "token": TOKEN})
    assert "请填写体温" in response.content.decode()
    assert Passage.objects.count() == 1


def test_correcting_twice_leaves_one_current_row(district, station, gate):
    declare(district.person_a)
    original = passage(district.person_a, gate, temperature=None, verdict=Verdict.WARN)
    url = f"/station/{gate.pk}/passages/{original.pk}/temperature/"
    station.post(url, {"temperature": "37.5", "token": "1" * 32})
    # A stale screen still offers the original: the new correction follows the chain.
    station.post(url, {"temperature": "36.5", "token": "2" * 32})
    feed = services.station_feed(gate)
    shown = feed["flagged"] + feed["latest"]
    assert len(shown) == 1 and shown[0].temperature == Decimal("36.5") and shown[0].verdict == Verdict.ALLOW


def test_a_passage_at_another_place_cannot_be_corrected_from_this_station(district, station, gate):
    elsewhere = passage(district.person_a, make_place(district.community_a), temperature=None)
    response = station.post(f"/station/{gate.pk}/passages/{elsewhere.pk}/temperature/", {"temperature": "36.5"})
    assert response.status_code == 404
    assert Passage.objects.count() == 1


# The live list ------------------------------------------------------------------------------------

def test_warnings_stay_on_top_until_dealt_with(district, station, guard, gate):
    now = timezone.now()
    warned = passage(district.person_a, gate, at=now - timedelta(minutes=10), verdict=Verdict.WARN,
                     reasons=["申报14天内去过中高风险地区"])
    for minutes in range(1, 4):
        passage(district.person_a_neighbour, gate, at=now - timedelta(minutes=minutes))
    live = station.get(f"/station/{gate.pk}/live/").content.decode()
    flagged = live[live.index('id="flagged"'):live.index('id="latest"')]
    assert f'data-passage="{warned.pk}"' in flagged and "已处理" in flagged
    assert "申报14天内去过中高风险地区" in flagged
    response = station.post(f"/station/{gate.pk}/passages/{warned.pk}/ack/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="flagged"' not in response.content.decode()
    ack = PassageAck.objects.get(passage=warned)
    assert ack.user == guard
    warned.refresh_from_db()
    assert warned.verdict == Verdict.WARN  # the passage itself is unchanged


def test_the_live_list_shows_masked_names_spoken_times_and_counts(district, station, gate):
    yesterday = timezone.localtime() - timedelta(days=1)
    passage(district.person_a, gate, temperature=Decimal("36.7"))
    passage(district.person_a_neighbour, gate, direction="out")
    passage(district.person_c, gate, at=yesterday.replace(hour=17, minute=2))
    live = station.get(f"/station/{gate.pk}/live/")
    html = live.content.decode()
    assert 'hx-trigger="every 3s' in html
    assert "王*英" in html and "王秀英" not in html and "36.7℃" in html
    assert "今天 " in html and "昨天 17:02" in html
    assert re.search(r'id="count-in">1<', html) and re.search(r'id="count-out">1<', html)
    assert district.numbers["a"] not in html


def test_the_live_list_costs_the_same_queries_however_long_it_is(
        district, station, gate, django_assert_max_num_queries):
    for _ in range(3):
        passage(district.person_a, gate, verdict=Verdict.WARN)
    station.get(f"/station/{gate.pk}/live/")
    with django_assert_max_num_queries(16) as few:
        station.get(f"/station/{gate.pk}/live/")
    for _ in range(30):
        passage(district.person_b, gate, verdict=Verdict.DENY)
        passage(district.person_c, gate)
    with django_assert_max_num_queries(len(few.captured_queries)):
        station.get(f"/station/{gate.pk}/live/")


def test_an_expired_session_stops_the_polling_instead_of_showing_the_login_page(gate):
    response = Client().get(f"/station/{gate.pk}/live/", HTTP_HX_REQUEST="true")
    assert response.status_code == 286


def test_the_station_page_fits_a_phone_layout(station, gate):
    html = station.get(f"/station/{gate.pk}/").content.decode()
    assert 'name="viewport"' in html and "passes/station.css" in html
    assert 'inputmode="decimal"' in html


# An unattended station ------------------------------------------------------------------------------

def idle_for(client, minutes):
    """Moves the session's last real use `minutes` back, as if nobody had touched the phone since."""
    from fangkong.accounts.idle import ACTIVE_AT

    session = client.session
    session[ACTIVE_AT] -= minutes * 60
    session.save()


def test_polling_alone_does_not_keep_an_unattended_station_logged_in(settings, station, guard, gate):
    settings.FANGKONG_STATION_IDLE_MINUTES = 30
    assert station.get(f"/station/{gate.pk}/").status_code == 200
    idle_for(station, 29)
    assert station.get(f"/station/{gate.pk}/live/", HTTP_HX_REQUEST="true").status_code == 200
    idle_for(station, 2)  # the polls did not count as use: 31 minutes idle now
    response = station.get(f"/station/{gate.pk}/live/", HTTP_HX_REQUEST="true")
    assert response.status_code == 286 and "登录已过期" in response.content.decode()
    assert station.get(f"/station/{gate.pk}/").status_code == 302  # logged out
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=guard).exists()


def test_a_guard_using_the_station_stays_logged_in(settings, station, gate):
    settings.FANGKONG_STATION_IDLE_MINUTES = 30
    station.get(f"/station/{gate.pk}/")
    idle_for(station, 29)
    assert station.get(f"/station/{gate.pk}/").status_code == 200  # real use: the clock starts again
    idle_for(station, 2)
    assert station.get(f"/station/{gate.pk}/live/", HTTP_HX_REQUEST="true").status_code == 200
