"""Registering persons: numbers validated and encrypted, duplicates refused everywhere, names escaped."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.core.identity import DocumentType, mask_document, mask_phone
from fangkong.people import services
from fangkong.people.models import Person
from tests import viewtests


def form_data(area, number, name="刘德明", phone="", household=None):
    return {"name": name, "id_type": "resident_id", "id_number": number, "sex": "U", "phone": phone,
            "area": area.pk, "household": household.pk if household else ""}


class TestPersonPages(viewtests.ListTests, viewtests.DetailTests, viewtests.OutsideScopeTests,
                      viewtests.CreateTests, viewtests.EditTests):
    viewer = creator = editor = "worker_a"
    list_url = "/people/"
    detail_url = "/people/{pk}/"
    create_url = "/people/new/"
    edit_url = "/people/{pk}/edit/"
    outside_requests = ["/people/{pk}/", "/people/{pk}/edit/", ("POST", "/people/{pk}/edit/", {"name": "改名"}),
                        ("POST", "/people/{pk}/reveal/"), "/api/persons/{pk}/",
                        ("POST", "/api/persons/{pk}/reveal/")]

    inside = viewtests.pick("district", "person_a")
    outside = viewtests.pick("district", "person_b")

    def shown(self, person):
        return person.name

    @pytest.fixture
    def create_data(self, district, new_resident_id):
        return form_data(district.community_a, new_resident_id("1979-02-14"), household=district.household_a102)

    def created(self, data):
        return Person.objects.get(name=data["name"])

    @pytest.fixture
    def edit_data(self, inside):
        return {**form_data(inside.area, "", name=inside.name, household=inside.household), "phone": "13700002222"}

    def edited(self, person, data):
        assert person.phone == data["phone"]


def test_the_service_derives_birth_date_and_sex_and_stores_only_ciphertext(district, make_person, new_resident_id):
    number = new_resident_id("1962-10-01", 351)  # odd sequence: a man
    person = make_person("刘德明", district.community_a, district.household_a101, number.lower(), "138 1234 5678")
    person.refresh_from_db()
    assert (person.birth_date.isoformat(), person.sex) == ("1962-10-01", "M")
    assert person.id_number == number and person.phone == "13812345678"
    assert number not in person.id_number_encrypted and "13812345678" not in person.phone_encrypted
    assert (person.id_number_masked, person.phone_masked) == (mask_document(number), "138****5678")


def test_persons_are_found_by_the_tail_of_their_number_or_their_phone(district):
    person, numbers = district.person_a, district.numbers
    visible = Person.objects.all()
    for text in (numbers["a"], numbers["a"][-6:], numbers["a"][-4:], numbers["phone_a"], numbers["phone_a"][-4:],
                 "秀英"):
        assert person in visible.search(text), text
    assert district.person_b not in visible.search(numbers["a"][-6:])
    legacy = numbers["a"][:6] + numbers["a"][8:17]  # the same person's 15-digit number
    assert list(visible.search(legacy)) == [person]


def test_a_duplicate_document_is_refused_by_the_service(district, make_person):
    before = Person.objects.count()
    with pytest.raises(ValidationError) as caught:
        make_person("王秀英", district.community_a, number=district.numbers["a"])
    assert caught.value.message_dict["id_number"] == ["该证件号码已登记：王*英（幸福里社区），请勿重复登记"]
    assert Person.objects.count() == before


def test_a_15_digit_number_of_someone_registered_is_a_duplicate(district, make_person):
    number = district.numbers["b"]
    with pytest.raises(ValidationError, match="已登记"):
        make_person("李建国", district.community_b, number=number[:6] + number[8:17])


def test_a_duplicate_in_another_community_does_not_say_whose_it_is(district, users, make_person):
    with pytest.raises(ValidationError) as caught:
        make_person("某人", district.community_a, number=district.numbers["b"], by=users.worker_a)
    assert caught.value.message_dict["id_number"] == ["该证件号码已在其他社区登记，请联系街道核实"]
    assert "李" not in str(caught.value)


def test_a_duplicate_is_refused_by_the_page_form(district, users, client_for):
    before = Person.objects.count()
    client = client_for(users.worker_a)
    response = client.post("/people/new/", form_data(district.community_a, district.numbers["a"]))
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"] == ["该证件号码已登记：王*英（幸福里社区），请勿重复登记"]
    assert "该证件号码已登记" in response.content.decode()
    response = client.post("/people/new/", form_data(district.community_a, district.numbers["b"]))
    assert response.context["form"].errors["id_number"] == ["该证件号码已在其他社区登记，请联系街道核实"]
    assert Person.objects.count() == before


def test_a_duplicate_is_refused_by_the_api(district, users, client_for):
    before = Person.objects.count()
    response = client_for(users.worker_a).post("/api/persons/", {
        "name": "王秀英", "id_number": district.numbers["a"], "area": district.community_a.pk,
    }, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"id_number": ["该证件号码已登记：王*英（幸福里社区），请勿重复登记"]}
    assert Person.objects.count() == before


def test_the_page_form_registers_a_person_and_refuses_a_bad_number(district, users, client_for, new_resident_id):
    client = client_for(users.worker_a)
    number = new_resident_id("1979-02-14")
    bad = number[:17] + ("1" if number[17] == "0" else "0")
    response = client.post("/people/new/", form_data(district.community_a, bad, household=district.household_a102))
    assert response.context["form"].errors["id_number"] == ["身份证号码校验位错误"]
    assert not Person.objects.filter(name="刘德明").exists()

    response = client.post("/people/new/", form_data(district.community_a, number, phone="13700001111",
                                                     household=district.household_a102))
    person = Person.objects.get(name="刘德明")
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/"
    assert (person.area, person.household, person.id_number, person.phone) == (
        district.community_a, district.household_a102, number, "13700001111")


def test_editing_keeps_numbers_that_are_left_empty(district, users, client_for):
    person = district.person_a
    response = client_for(users.worker_a).post(f"/people/{person.pk}/edit/", {
        **form_data(district.community_a, "", name="王秀英", household=district.household_a101), "phone": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.id_number, person.phone) == (district.numbers["a"], district.numbers["phone_a"])


def test_the_household_must_belong_to_the_chosen_community(district, make_person):
    with pytest.raises(ValidationError) as caught:
        make_person("刘德明", district.community_a, district.household_c)
    assert caught.value.message_dict["household"] == ["所选户不属于该社区/村"]


def test_other_documents_keep_the_sex_that_was_typed(district, users):
    person = services.create_person({"name": "John Smith", "id_type": DocumentType.PASSPORT, "id_number": "e1234567",
                                     "sex": "M", "area": district.community_c}, user=users.admin)
    assert (person.id_number, person.sex, person.birth_date) == ("E1234567", "M", None)


def test_lists_and_details_show_masked_numbers_only(district, users, client_for):
    client, person, numbers = client_for(users.worker_a), district.person_a, district.numbers
    for url in ("/people/", f"/people/{person.pk}/"):
        page = client.get(url).content.decode()
        assert mask_document(numbers["a"]) in page and mask_phone(numbers["phone_a"]) in page, url
        assert numbers["a"] not in page and numbers["phone_a"] not in page, url
        assert numbers["a"][-6:] not in page, url


def test_names_with_markup_are_refused_and_one_stored_before_that_is_escaped(district, make_person, users,
                                                                            client_for):
    from tests.conftest import stored_before_names_were_checked

    with pytest.raises(ValidationError) as refused:
        make_person("<script>alert(1)</script>", district.community_a)
    assert refused.value.message_dict["name"] == ['姓名不能包含 < > & " ` 等符号']
    person = stored_before_names_were_checked("<script>alert(1)</script>", district.community_a)
    client = client_for(users.worker_a)
    for url in ("/people/", f"/people/{person.pk}/", f"/territory/households/{district.household_a101.pk}/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/people/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/people/{person.pk}/").content.decode()


def test_the_list_filters_by_area_sex_and_search(district, users, client_for):
    client = client_for(users.admin)
    names = lambda response: {p.name for p in response.context["page_obj"]}  # noqa: E731
    assert names(client.get("/people/", {"area": district.subdistrict2.pk})) == {"李建国"}
    assert names(client.get("/people/", {"area": district.subdistrict.pk, "sex": "F"})) == {"王秀英", "张子涵", "赵丽"}
    assert names(client.get("/people/", {"q": district.numbers["phone_b"][-4:]})) == {"李建国"}
    assert names(client.get("/people/", {"area": "999999"})) == set()


def test_the_edit_page_never_sends_the_full_numbers_back(district, users, client_for):
    page = client_for(users.worker_a).get(f"/people/{district.person_a.pk}/edit/").content.decode()
    assert f"当前：{mask_document(district.numbers['a'])}，不修改请留空" in page
    assert f"当前：{mask_phone(district.numbers['phone_a'])}，不修改请留空" in page
    assert district.numbers["a"] not in page and district.numbers["phone_a"] not in page


def test_a_person_cannot_be_given_someone_elses_number(district, users):
    person = district.person_a_neighbour
    with pytest.raises(ValidationError, match="已登记"):
        services.update_person(person, {"name": "王志强", "id_number": district.numbers["a"],
                                        "area": district.community_a}, user=users.worker_a)
    person.refresh_from_db()
    assert person.id_number == district.numbers["a_neighbour"]
