"""Every way a name enters the ledger goes through the one rule (core.identity.normalize_person_name)."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.core.models import JobStatus
from fangkong.people import rentals, services
from fangkong.people.models import Person, Rental


def test_the_people_page_says_what_is_wrong_with_a_name_and_keeps_the_rest(district, users, client_for,
                                                                         new_resident_id):
    before = Person.objects.count()
    response = client_for(users.worker_a).post("/people/new/", {
        "name": "=1+1", "id_type": "resident_id", "id_number": new_resident_id(), "sex": "U",
        "area": district.community_a.pk, "household": district.household_a101.pk, "residency": "permanent"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "姓名不能以 = + - @ 开头" in html and "确保" not in html
    assert Person.objects.count() == before


def test_the_people_page_stores_a_minority_name_with_the_interpunct(district, users, client_for, new_resident_id):
    response = client_for(users.worker_a).post("/people/new/", {
        "name": " 阿卜杜热合曼 • 买买提 ", "id_type": "resident_id", "id_number": new_resident_id(), "sex": "U",
        "area": district.community_a.pk, "household": district.household_a101.pk, "residency": "permanent"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert Person.objects.filter(name="阿卜杜热合曼·买买提").exists()


def test_the_person_api_refuses_a_fifty_character_name(district, users, client_for, new_resident_id):
    response = client_for(users.worker_a).post("/api/persons/", {
        "name": "王" * 31, "id_number": new_resident_id(), "area": district.community_a.pk,
        "household": district.household_a102.pk}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["name"] == ["中文姓名应为2到30个字"]


def test_a_resident_declaring_at_a_place_code_is_checked_by_the_same_rule(district, new_resident_id):
    with pytest.raises(ValidationError) as refused:
        services.register_resident(name="<b>王</b>", id_type="resident_id", id_number=new_resident_id(),
                                   phone="", area=district.community_a, user=None)
    assert refused.value.message_dict["name"] == ['姓名不能包含 < > & " ` 等符号']
    person = services.register_resident(name="John  Smith", id_type="passport", id_number="E1234567", phone="",
                                        area=district.community_a, user=None)
    assert person.name == "John Smith"


def test_a_landlord_name_is_checked_too(district, users):
    with pytest.raises(ValidationError) as refused:
        rentals.register_rental({"household": district.household_a102, "landlord_name": "@房东",
                                 "landlord_phone": "13900000001"}, user=users.worker_a)
    assert refused.value.message_dict["landlord_name"] == ["姓名不能以 = + - @ 开头"]
    assert not Rental.objects.exists()


def test_a_ledger_row_with_a_bad_name_is_reported_and_nothing_is_imported(
        district, users, client_for, xlsx, django_capture_on_commit_callbacks, new_resident_id):
    from fangkong.core.models import ImportJob
    from tests.people.test_ledger_import import HEADER, row

    before = Person.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users.worker_a).post("/people/import/", {"file": xlsx.upload(
            [HEADER, row("刘桂兰", new_resident_id()), row("@SUM(A1)", new_resident_id())], "台账.xlsx")})
    job = ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
    assert job.status == JobStatus.FAILED
    assert job.errors == [[3, "姓名", "姓名不能以 = + - @ 开头"]]
    assert Person.objects.count() == before
