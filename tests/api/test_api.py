"""The REST API: token login, schema and docs, person registration, pagination, constant query counts."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fangkong.people.models import Person
from tests.conftest import numbered_name


def test_a_token_is_given_for_username_and_password_and_works(users, district, password):
    response = Client().post("/api/auth/token/", {"username": "worker_a", "password": password})
    assert response.status_code == 200
    token = response.json()["token"]
    assert list(response.json()) == ["token", "expires"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    persons = api.get("/api/persons/")
    assert persons.status_code == 200
    assert {p["name"] for p in persons.json()["results"]} == {"王秀英", "王志强", "张子涵"}
    assert Client(HTTP_AUTHORIZATION="Token not-a-token").get("/api/persons/").status_code == 401


def test_a_wrong_password_gets_no_token(users):
    response = Client().post("/api/auth/token/", {"username": "worker_a", "password": "wrong"})
    assert response.status_code == 400 and "token" not in response.json()


def test_schema_and_docs_are_served(users, client_for):
    client = client_for(users.worker_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/persons/{id}/reveal/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower() and b"http://" not in docs.content.replace(b"http://testserver", b"")


def test_registering_a_person_through_the_api(district, users, client_for, new_resident_id):
    number = new_resident_id("1993-04-05", 671)
    response = client_for(users.worker_a).post("/api/persons/", {
        "name": " 刘德明 ", "id_number": number.lower(), "phone": "+86 138 1234 5678",
        "area": district.community_a.pk, "household": district.household_a101.pk,
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "刘德明" and data["sex"] == "M" and data["birth_date"] == "1993-04-05"
    assert data["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert data["phone_masked"] == "138****5678"
    assert "id_number" not in data and "phone" not in data
    person = Person.objects.get(pk=data["id"])
    assert (person.id_number, person.phone, person.household) == (number, "13812345678", district.household_a101)


def test_the_api_explains_bad_input_in_chinese_and_saves_nothing(district, users, client_for, new_resident_id):
    before = Person.objects.count()
    number = new_resident_id()
    bad = number[:17] + ("1" if number[17] == "0" else "0")
    client = client_for(users.worker_a)
    response = client.post("/api/persons/", {"name": "刘德明", "id_number": bad, "phone": "12345",
                                             "area": district.community_a.pk}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "id_number": ["身份证号码校验位错误"],
        "phone": ["手机号码应为11位，以1开头；固定电话请写区号，如 0371-12345678"],
    }
    response = client.post("/api/persons/", {"name": "", "id_number": number}, content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()
    response = client.post("/api/persons/", {"name": "刘德明", "id_number": number}, content_type="application/json")
    assert response.json() == {"area": ["请选择所属社区/村"]}
    assert Person.objects.count() == before


def test_read_only_roles_cannot_register_through_the_api(district, users, client_for, new_resident_id):
    response = client_for(users.leader).post("/api/persons/", {
        "name": "刘德明", "id_number": new_resident_id(), "area": district.community_a.pk},
        content_type="application/json")
    assert response.status_code == 403
    assert not Person.objects.filter(name="刘德明").exists()


def test_persons_are_read_only_apart_from_registration(district, users, client_for):
    client = client_for(users.admin)
    url = f"/api/persons/{district.person_a.pk}/"
    assert client.patch(url, {"name": "改名"}, content_type="application/json").status_code == 405
    assert client.delete(url).status_code == 405
    assert Person.objects.filter(pk=district.person_a.pk, name="王秀英").exists()


def test_lists_are_paginated(district, users, client_for):
    client = client_for(users.admin)
    first = client.get("/api/persons/", {"page_size": 2}).json()
    assert set(first) >= {"count", "next", "previous", "results"}
    assert first["count"] == 5 and len(first["results"]) == 2 and first["previous"] is None
    assert "page=2" in first["next"]
    last = client.get("/api/persons/", {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = {p["id"] for p in first["results"]} | {p["id"] for p in last["results"]}
    assert len(seen) == 3


def test_the_api_filters_persons_and_households(district, users, client_for):
    client = client_for(users.admin)
    by_tail = client.get("/api/persons/", {"q": district.numbers["b"][-6:]}).json()
    assert [p["name"] for p in by_tail["results"]] == ["李建国"]
    by_area = client.get("/api/persons/", {"area": district.subdistrict.pk}).json()
    assert by_area["count"] == 4
    assert client.get("/api/persons/", {"area": 999999}).json()["count"] == 0
    households = client.get("/api/households/", {"area": district.community_a.pk}).json()
    counts = {h["address"]: h["person_count"] for h in households["results"]}
    assert counts == {"幸福里小区1号楼1单元101": 1, "幸福里小区1号楼1单元102": 1, "幸福里小区2号楼1单元101": 1}


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def add_persons(district, make_person, n):
    households = [district.household_a101, district.household_a102, district.household_a2_101]
    for i in range(n):
        make_person(numbered_name("居民", i), district.community_a, households[i % 3], phone=f"1370000{i:04d}")


def test_list_query_counts_do_not_grow_with_the_number_of_persons(district, users, client_for, make_person):
    client = client_for(users.worker_a)
    urls = ["/api/persons/", "/people/", "/api/households/", "/territory/households/", "/",
            f"/territory/areas/{district.community_a.pk}/"]
    add_persons(district, make_person, 2)  # 5 in community A
    for url in urls:
        client.get(url)  # warm caches (content types, permissions) so both runs compare like with like
    few = {url: queries(client, url) for url in urls}
    add_persons(district, make_person, 35)  # 40 in community A
    many = {url: queries(client, url) for url in urls}
    assert many == few
    assert all(n <= 25 for n in many.values()), many


def test_the_people_list_has_a_fixed_query_budget(district, users, client_for, make_person,
                                                 django_assert_max_num_queries):
    add_persons(district, make_person, 40)
    client = client_for(users.worker_a)
    client.get("/people/")
    with django_assert_max_num_queries(20):  # an N+1 would add one or more per person (43)
        response = client.get("/people/")
    assert response.context["page_obj"].paginator.count == 43


@pytest.mark.parametrize("path", ["/api/persons/", "/api/households/"])
def test_a_role_without_the_ledger_view_permission_reads_no_persons_or_households(district, client_for, path):
    """Lab staff have an area but not people.view_person / territory.view_household: 403, not their area's rows."""
    from fangkong.accounts.roles import Role
    from tests.conftest import make_user

    sampler = make_user("sampler_api", Role.LAB_STAFF, district.community_a)
    response = client_for(sampler).get(path)
    assert response.status_code == 403
    assert district.person_a.name not in response.content.decode()


def test_the_schema_and_docs_need_a_login(db):
    assert Client().get("/api/schema/").status_code in (401, 403)
    docs = Client().get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
