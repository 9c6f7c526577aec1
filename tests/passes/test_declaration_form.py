"""The resident's health declaration tells every mistake in one round, in Chinese, and saves nothing."""

from office_helpers import make_place

from fangkong.passes.models import Declaration, Device, Proof
from fangkong.people.models import Person


def test_a_bad_number_and_unanswered_questions_are_told_together(district, client):
    gate = make_place(district.community_a, "幸福里小区北门")
    persons = Person.objects.count()
    response = client.post(f"/c/{gate.code}/declare", {
        "name": "刘桂兰", "id_type": "resident_id", "id_number": "410105199001011234", "phone": "13712345678",
        "temperature": "36.5", "consent": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "身份证号码校验位错误" in html
    assert html.count("请选择“是”或“否”") == 3
    assert (Person.objects.count(), Declaration.objects.count(), Device.objects.count()) == (persons, 0, 0)


def test_my_passages_say_why_a_passage_was_a_warning_or_a_denial(district, client):
    """我的出入记录 showed 提醒 without the reason; each 提醒/禁止 row now carries it."""
    from fangkong.passes import services
    from fangkong.passes.models import Channel, Declaration, Place, PlaceKind, PlaceState, Verdict

    gate = Place.objects.create(area=district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路12号", contact_name="张三", state=PlaceState.APPROVED)
    person = district.person_a
    Declaration.objects.create(person=person, consent_version="test", visited_risk_area=True, has_symptoms=False,
                               had_contact=False)
    warned = services.record_passage(person, gate, channel=Channel.SCAN, idempotency_key="mine-1")
    assert warned.verdict == Verdict.WARN and warned.reasons
    device = services.add_to_device(None, person, "本人", proof=Proof.SMS)
    client.cookies[services.DEVICE_COOKIE] = services.device_cookie(device)

    html = client.get(f"/c/{gate.code}/mine").content.decode()

    assert "提醒" in html and "⚠" in html
    assert all(reason in html for reason in warned.reasons)


def test_every_resident_page_behind_a_suspended_or_unknown_code_says_the_code_is_invalid(district, client):
    from fangkong.passes.models import PlaceState, RejectedScan

    gate = make_place(district.community_a, "幸福里小区北门", state=PlaceState.SUSPENDED)
    pages = [("get", ""), ("post", "/declare"), ("post", "/pass"), ("get", "/mine"), ("post", "/forget")]
    for code in (gate.code, "no-such-code"):
        for method, path in pages:
            response = getattr(client, method)(f"/c/{code}{path}")
            assert response.status_code == 404 and "二维码无效" in response.content.decode(), (code, path)
    assert RejectedScan.objects.count() == 2 * len(pages)
    assert client.get(f"/c/{gate.code}/declare").status_code == 405  # a GET of a POST-only page: refused first
