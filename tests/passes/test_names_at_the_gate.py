"""Names typed at a gate (the resident's declaration, the guard's assisted registration and vehicle rows) are
checked by the one rule and refused next to the field, writing nothing."""

from office_helpers import make_place

from fangkong.passes.models import Declaration, Passage
from fangkong.people.models import Person

TOKEN = "b" * 32
ANSWERS = {"visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no", "consent": "on"}


def test_a_declaration_with_markup_in_the_name_is_refused_next_to_the_field(district, client, new_resident_id):
    gate = make_place(district.community_a, "幸福里小区北门")
    persons = Person.objects.count()
    response = client.post(f"/c/{gate.code}/declare", {
        "name": "<script>alert(1)</script>", "id_type": "resident_id", "id_number": new_resident_id(),
        "phone": "", **ANSWERS})
    html = response.content.decode()
    assert response.status_code == 200
    assert "姓名不能包含 &lt; &gt; &amp; &quot; ` 等符号" in html
    assert (Person.objects.count(), Declaration.objects.count()) == (persons, 0)


def test_a_guard_registering_fifty_characters_is_told_the_limit(station_guard, gate, new_resident_id):
    response = station_guard.post(f"/station/{gate.pk}/assist/", {
        "id_type": "resident_id", "id_number": new_resident_id(), "name": "王" * 50, "phone": "",
        "temperature": "36.5", "direction": "in", "token": TOKEN, **ANSWERS})
    html = response.content.decode()
    assert "中文姓名应为2到30个字" in html and "确保" not in html
    assert not Passage.objects.exists()


def test_a_vehicle_row_with_a_formula_for_a_name_stops_the_vehicle(station_guard, gate, new_resident_id):
    response = station_guard.post(f"/station/{gate.pk}/vehicle/", {
        "plate": "豫A12345", "direction": "in", "token": TOKEN, **ANSWERS,
        "o0_id_number": new_resident_id(), "o0_name": "赵师傅", "o0_temperature": "36.4",
        "o1_id_number": new_resident_id(), "o1_name": "=1+1", "o1_temperature": "36.4"})
    html = response.content.decode()
    assert "姓名不能以 = + - @ 开头" in html and "请填写姓名" not in html
    assert not Passage.objects.exists()
