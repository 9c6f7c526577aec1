"""A phone sees a person's records only once it has proven the person is its own (passes.binding).

Declaring with someone's name and identity number lets a phone record passages for them, nothing more: not their
passages, not their live pass code, not the reasons behind their colour, and its answers change none of their
facts. A code sent by SMS to the number on record, or a worker who checks the ID card at a station, proves the
link. Nothing a phone is told depends on whether a number exists.
"""

import re
import uuid

import pytest
from django.test import Client

from fangkong.audit.models import AuditEvent
from fangkong.core.models import SmsMessage
from fangkong.healthcode import passcode
from fangkong.healthcode.services import recompute
from fangkong.passes import binding
from fangkong.passes.models import Challenge, Declaration, DeviceMember, Passage, Proof
from tests.conftest import declare
from tests.passes.office_helpers import checkpoint_user, make_place, passage

ANSWERS = {"visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no", "consent": "on"}


@pytest.fixture
def gate(district):
    return make_place(district.community_a, "幸福里小区北门", measures_temperature=False)


@pytest.fixture
def victim(district, gate):
    """王秀英, in the ledger with her phone number: a passage at the clinic and a yellow code she declared."""
    person = district.person_a
    clinic = make_place(district.community_a, "社区卫生服务站")
    passage(person, clinic)
    declare(person, has_symptoms=True)
    recompute([person.pk])
    return person


def declare_on(phone, gate, name, number, **answers):
    return phone.post(f"/c/{gate.code}/declare", {
        "name": name, "id_type": "resident_id", "id_number": number, "phone": "", "address": "",
        "token": uuid.uuid4().hex, **ANSWERS, **answers})


def seen_by(phone, gate, person):
    """What the phone shows of the person: on 我的出入记录, 我的通行码 and the code itself."""
    mine = phone.get(f"/c/{gate.code}/mine").content.decode()
    codes = phone.get("/my/pass/").content.decode()
    code = phone.get(f"/my/pass/{person.pk}/")
    return {"passages": "社区卫生服务站" in mine, "colour": "申报有发热" in codes or "黄码" in codes,
            "code": f'data-person="{person.pk}"' in codes or code.status_code == 200}


@pytest.fixture
def ask_code(django_capture_on_commit_callbacks):
    """`ask_code(phone, person)`: 发送验证码 on the verify page; the SMS leaves when the request commits."""

    def ask(phone, person):
        with django_capture_on_commit_callbacks(execute=True):
            return phone.post(f"/my/verify/{person.pk}/", {"action": "send"})

    return ask


def sms_code(person) -> str:
    message = SmsMessage.objects.first()
    assert message.phone == person.phone
    return re.search(r"验证码是(\d{6})", message.text).group(1)


def test_a_stranger_declaring_her_name_and_number_records_a_passage_and_sees_nothing_of_hers(
        district, gate, victim):
    stranger = Client()
    response = declare_on(stranger, gate, "王秀英", district.numbers["a"])
    html = response.content.decode()
    assert response.status_code == 200 and "证件号码与姓名不一致" not in html
    assert Passage.objects.filter(person=victim, place=gate).count() == 1  # the gate judges the identity
    # Her yellow code denies or warns at the gate, but the stranger's screen does not say why.
    assert "黄码" not in html and "申报有发热" not in html
    assert seen_by(stranger, gate, victim) == {"passages": False, "colour": False, "code": False}
    # The pages say what is withheld and how to prove the link.
    assert "本机尚未验证身份" in stranger.get(f"/c/{gate.code}/mine").content.decode()
    assert f"/my/verify/{victim.pk}/" in stranger.get(f"/c/{gate.code}").content.decode()
    assert DeviceMember.objects.get(person=victim).verified_at is None


def test_a_strangers_no_does_not_lower_her_colour_nor_change_what_the_gate_knows(district, gate, victim):
    declare_on(Client(), gate, "王秀英", district.numbers["a"])
    assert Declaration.objects.filter(person=victim, proven=False).count() == 1
    recompute([victim.pk])
    victim.health_status.refresh_from_db()
    assert victim.health_status.colour == "yellow"
    # Her own code at the station: her (proven) declaration of symptoms still denies.
    guard = checkpoint_user("guard_b", district.community_a, gate)
    result = passcode.verify(passcode.issue(victim).token, gate, guard, idempotency_key=uuid.uuid4().hex)
    assert result.decision.verdict == "deny" and any("申报有发热" in r for r in result.decision.reasons)


def test_a_new_number_is_the_declarants_own_at_once(gate, new_resident_id):
    phone = Client()
    declare_on(phone, gate, "刘桂兰", new_resident_id("1958-04-02"))
    member = DeviceMember.objects.get()
    assert (member.verified_via, member.verified_at is not None) == (Proof.NEW, True)
    assert "幸福里小区北门" in phone.get(f"/c/{gate.code}/mine").content.decode()
    assert phone.get(f"/my/pass/{member.person_id}/").status_code == 200


def test_the_answer_is_the_same_for_her_number_and_an_unknown_one(district, gate, new_resident_id):
    def answer(number):
        html = declare_on(Client(), gate, "王秀英", number).content.decode()
        return re.sub(r"\d{2}:\d{2}:\d{2}", "", html)

    district.person_a.refresh_from_db()
    assert answer(district.numbers["a"]) == answer(new_resident_id("1960-01-01"))


def test_the_code_sent_to_the_number_on_record_proves_the_phone(district, gate, victim, ask_code):
    phone = Client()
    declare_on(phone, gate, "王秀英", district.numbers["a"])
    page = ask_code(phone, victim).content.decode()
    assert "验证码已发送到该手机号" in page and victim.phone not in page
    response = phone.post(f"/my/verify/{victim.pk}/", {"action": "check", "code": sms_code(victim)})
    assert "已验证" in response.content.decode()
    member = DeviceMember.objects.get(person=victim)
    assert member.verified_via == Proof.SMS and member.verified_at is not None
    assert seen_by(phone, gate, victim) == {"passages": True, "colour": True, "code": True}
    event = AuditEvent.objects.filter(object_type="passes.DeviceMember", object_id=str(member.pk)).get()
    assert event.changes["verified_via"] == "sms" and "138" not in str(event.changes)


def test_wrong_codes_and_repeated_requests_are_limited(district, gate, victim, ask_code):
    phone = Client()
    declare_on(phone, gate, "王秀英", district.numbers["a"])
    ask_code(phone, victim)
    right = sms_code(victim)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _try in range(binding.MAX_ATTEMPTS):
        page = phone.post(f"/my/verify/{victim.pk}/", {"action": "check", "code": wrong}).content.decode()
    assert "错误次数过多" in page
    page = phone.post(f"/my/verify/{victim.pk}/", {"action": "check", "code": right}).content.decode()
    assert "验证码已失效" in page and DeviceMember.objects.get(person=victim).verified_at is None
    for _request in range(binding.SMS_PER_LINK_PER_HOUR):
        page = ask_code(phone, victim).content.decode()
    assert "验证码发送太频繁" in page
    assert SmsMessage.objects.count() == binding.SMS_PER_LINK_PER_HOUR


def test_the_verify_page_says_the_same_whether_a_phone_number_is_on_record(district, gate, ask_code):
    def sent(person, number):
        phone = Client()
        declare_on(phone, gate, person.name, number)
        html = ask_code(phone, person).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", html.replace(person.name_masked, ""))

    assert district.person_a_neighbour.phone == "" and district.person_a.phone
    assert sent(district.person_a, district.numbers["a"]) == sent(district.person_a_neighbour,
                                                                   district.numbers["a_neighbour"])
    assert SmsMessage.objects.count() == 1


def test_a_worker_checks_the_id_card_at_the_station_and_confirms_the_phone(district, gate, victim, client_for):
    phone = Client()
    declare_on(phone, gate, "王秀英", district.numbers["a"])
    page = phone.post(f"/my/verify/{victim.pk}/", {"action": "station"}).content.decode()
    code = re.search(r"data-station-code>(\d{8})<", page).group(1)
    guard = checkpoint_user("guard_c", district.community_a, gate)
    station = client_for(guard)
    assert "核验居民手机" in station.get(f"/station/{gate.pk}/").content.decode()

    refused = station.post(f"/station/{gate.pk}/confirm/", {"code": code, "id_number": district.numbers["b"]})
    assert refused.status_code == 422 and "证件号码与该手机申请验证的人员不一致" in refused.content.decode()
    assert DeviceMember.objects.get(person=victim).verified_at is None

    done = station.post(f"/station/{gate.pk}/confirm/", {"code": code, "id_number": district.numbers["a"]})
    assert done.status_code == 200 and "已核验" in done.content.decode()
    member = DeviceMember.objects.get(person=victim)
    assert (member.verified_via, member.verified_by) == (Proof.STATION, guard)
    assert seen_by(phone, gate, victim)["passages"]
    # The code was used once.
    again = station.post(f"/station/{gate.pk}/confirm/", {"code": code, "id_number": district.numbers["a"]})
    assert again.status_code == 422 and Challenge.objects.get(kind=Proof.STATION).used_at is not None


def test_a_guard_of_another_place_cannot_confirm_here(district, gate, victim, client_for):
    other = checkpoint_user("guard_d", district.community_a, make_place(district.community_a, "另一个门岗"))
    assert client_for(other).get(f"/station/{gate.pk}/confirm/").status_code == 404


def test_the_local_outbox_is_for_district_admins_and_only_where_nothing_real_is_sent(
        district, users, client_for, settings):
    assert client_for(users.admin).get("/dev/sms/").status_code == 200
    assert client_for(users.worker_a).get("/dev/sms/").status_code == 403
    settings.FANGKONG_SMS_BACKEND = "fangkong.core.sms.DisabledBackend"
    assert client_for(users.admin).get("/dev/sms/").status_code == 404


def test_production_refuses_the_local_outbox(settings):
    from fangkong.core.sms import check_sms_backend

    settings.PRODUCTION, settings.FANGKONG_SMS_BACKEND = True, "fangkong.core.sms.OutboxBackend"
    assert [error.id for error in check_sms_backend()] == ["fangkong.E101"]
    settings.FANGKONG_SMS_BACKEND = "fangkong.core.sms.DisabledBackend"
    assert check_sms_backend() == []


def test_codes_and_the_outbox_go_with_the_passages(district, gate, victim, ask_code):
    from datetime import timedelta

    from django.utils import timezone

    from fangkong.passes.services import purge_passages

    phone = Client()
    declare_on(phone, gate, "王秀英", district.numbers["a"])
    ask_code(phone, victim)
    purge_passages(timezone.now() - timedelta(days=28))
    assert (Challenge.objects.count(), SmsMessage.objects.count()) == (1, 1)
    purge_passages(timezone.now() + timedelta(minutes=1))
    assert (Challenge.objects.count(), SmsMessage.objects.count()) == (0, 0)
