"""The resident's health declaration tells every mistake in one round, in Chinese, and saves nothing."""

from office_helpers import make_place

from fangkong.passes.models import Declaration, Device
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
