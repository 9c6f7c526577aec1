"""Area scope: a worker sees their own community (a grid worker their own grid) and nothing else.

Out of scope reads as "does not exist": 404 on pages and in the API, never a hint.
"""

import pytest

from fangkong.people.models import Person
from fangkong.territory.models import Area, Household
from tests.conftest import export_persons


def names_on(response):
    return {p.name for p in response.context["page_obj"]}


def test_a_community_worker_lists_only_their_community(district, users, client_for):
    response = client_for(users.worker_a).get("/people/")
    assert names_on(response) == {"王秀英", "王志强", "张子涵"}
    page = response.content.decode()
    assert "李建国" not in page and "赵丽" not in page
    assert names_on(client_for(users.worker_b).get("/people/")) == {"李建国"}
    assert names_on(client_for(users.officer).get("/people/")) == {"王秀英", "王志强", "张子涵", "赵丽"}
    assert len(names_on(client_for(users.leader).get("/people/"))) == 5


@pytest.mark.parametrize("url", ["/people/{pk}/", "/people/{pk}/edit/"])
def test_a_person_of_another_community_is_not_found(district, users, client_for, url):
    client = client_for(users.worker_a)
    assert client.get(url.format(pk=district.person_b.pk)).status_code == 404
    assert client.get(url.format(pk=district.person_a.pk)).status_code == 200


def test_a_person_of_another_community_cannot_be_revealed_or_edited(district, users, client_for):
    client = client_for(users.worker_a)
    person = district.person_b
    response = client.post(f"/people/{person.pk}/reveal/")
    assert response.status_code == 404
    assert district.numbers["b"] not in response.content.decode()
    response = client.post(f"/people/{person.pk}/edit/", {
        "name": "改名", "id_type": "resident_id", "id_number": "", "sex": "U", "phone": "",
        "area": district.community_a.pk, "household": ""})
    assert response.status_code == 404
    person.refresh_from_db()
    assert (person.name, person.area) == ("李建国", district.community_b)


def test_an_export_holds_only_the_workers_community(district, users, client_for, xlsx):
    rows = xlsx.rows(export_persons(client_for(users.worker_a)))
    exported = {row[0] for row in rows[1:] if row and row[0] and not row[0].startswith("导出人")}
    assert exported == {"王秀英", "王志强", "张子涵"}
    # Asking for the other community by filter gives nothing, not its persons.
    rows = xlsx.rows(export_persons(client_for(users.worker_a), area=district.community_b.pk))
    assert [row for row in rows[1:] if row and row[0] and not row[0].startswith("导出人")] == []


def test_the_api_lists_only_the_workers_community(district, users, client_for):
    client = client_for(users.worker_a)
    persons = client.get("/api/persons/").json()
    assert {p["name"] for p in persons["results"]} == {"王秀英", "王志强", "张子涵"}
    households = client.get("/api/households/").json()
    assert {h["id"] for h in households["results"]} == {
        district.household_a101.pk, district.household_a102.pk, district.household_a2_101.pk}
    areas = client.get("/api/areas/").json()
    assert [a["id"] for a in areas["results"]] == [district.community_a.pk]


@pytest.mark.parametrize("url", ["/api/persons/{person}/", "/api/households/{household}/", "/api/areas/{area}/",
                                 "/api/areas/{district}/"])
def test_the_api_does_not_find_what_is_out_of_scope(district, users, client_for, url):
    url = url.format(person=district.person_b.pk, household=district.household_b.pk,
                     area=district.community_b.pk, district=district.district.pk)
    assert client_for(users.worker_a).get(url).status_code == 404


def test_the_api_reveal_of_another_community_is_not_found(district, users, client_for):
    response = client_for(users.worker_a).post(f"/api/persons/{district.person_b.pk}/reveal/")
    assert response.status_code == 404
    assert district.numbers["b"] not in response.content.decode()


def test_a_grid_worker_sees_only_their_grids_households_and_persons(district, users, client_for):
    client = client_for(users.grid_worker)
    # 第一网格 and the 一组 below it; not 第二网格 of the same community.
    assert names_on(client.get("/people/")) == {"王秀英", "王志强"}
    assert {p["name"] for p in client.get("/api/persons/").json()["results"]} == {"王秀英", "王志强"}
    assert {h["id"] for h in client.get("/api/households/").json()["results"]} == {
        district.household_a101.pk, district.household_a102.pk}
    listed = {h.pk for h in client.get("/territory/households/").context["page_obj"]}
    assert listed == {district.household_a101.pk, district.household_a102.pk}
    assert client.get(f"/territory/households/{district.household_a101.pk}/").status_code == 200
    assert client.get(f"/territory/households/{district.household_a2_101.pk}/").status_code == 404
    assert client.get(f"/people/{district.person_a_other_grid.pk}/").status_code == 404
    assert client.get(f"/api/persons/{district.person_a_other_grid.pk}/").status_code == 404


def test_household_pages_of_another_community_are_not_found(district, users, client_for):
    client = client_for(users.worker_a)
    assert client.get(f"/territory/households/{district.household_b.pk}/").status_code == 404
    assert client.get(f"/territory/households/{district.household_a101.pk}/").status_code == 200
    assert client.get(f"/territory/areas/{district.community_b.pk}/").status_code == 404
    assert client.get(f"/territory/compounds/{district.compound_a.pk}/").status_code == 200
    assert client_for(users.worker_b).get(f"/territory/compounds/{district.compound_a.pk}/").status_code == 404
    listed = {h.pk for h in client.get("/territory/households/").context["page_obj"]}
    assert district.household_b.pk not in listed and district.household_a101.pk in listed


def test_a_person_cannot_be_registered_into_another_community_by_page(district, users, client_for, new_resident_id):
    before = Person.objects.count()
    response = client_for(users.worker_a).post("/people/new/", {
        "name": "越界", "id_type": "resident_id", "id_number": new_resident_id(), "sex": "U", "phone": "",
        "area": district.community_b.pk, "household": district.household_b.pk})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "area" in errors and "household" in errors
    assert Person.objects.count() == before


def test_a_person_cannot_be_registered_into_another_community_by_api(district, users, client_for, new_resident_id):
    before = Person.objects.count()
    client = client_for(users.worker_a)
    response = client.post("/api/persons/", {"name": "越界", "id_number": new_resident_id(),
                                             "area": district.community_b.pk}, content_type="application/json")
    assert response.status_code == 400 and "area" in response.json()
    response = client.post("/api/persons/", {"name": "越界", "id_number": new_resident_id(),
                                             "area": district.community_a.pk, "household": district.household_b.pk},
                           content_type="application/json")
    assert response.status_code == 400 and "household" in response.json()
    assert Person.objects.count() == before


def test_a_person_cannot_be_placed_in_a_subdistrict(district, users, new_resident_id):
    from django.core.exceptions import ValidationError

    from fangkong.people import services

    with pytest.raises(ValidationError) as caught:
        services.create_person({"name": "越界", "id_number": new_resident_id(), "area": district.subdistrict},
                               user=users.admin)
    assert caught.value.message_dict["area"] == ["所选社区/村不在您的管辖范围内"]


def test_the_service_refuses_to_update_someone_out_of_scope(district, users):
    from django.core.exceptions import PermissionDenied

    from fangkong.people import services

    with pytest.raises(PermissionDenied):
        services.update_person(district.person_b, {"name": "改名", "id_number": district.numbers["b"],
                                                   "area": district.community_b}, user=users.worker_a)


def test_scope_querysets(district, users):
    assert set(Area.objects.visible_to(users.officer)) == {district.subdistrict, district.community_a,
                                                          district.community_c}
    assert set(Household.objects.visible_to(users.worker_b)) == {district.household_b}
    assert Person.objects.visible_to(None).count() == 0
    users.worker_a.is_active = False
    assert Person.objects.visible_to(users.worker_a).count() == 0
    users.leader.area = None
    assert Person.objects.visible_to(users.leader).count() == 0


def test_a_worker_without_an_area_sees_nothing(district, users, client_for):
    stray = users.worker_a
    stray.area = None
    stray.save()
    assert names_on(client_for(stray).get("/people/")) == set()
    assert client_for(stray).get("/api/persons/").json()["count"] == 0
    assert "还没有绑定所属区域" in client_for(stray).get("/").content.decode()


@pytest.mark.parametrize(("url", "param", "target"), [
    ("/api/persons/", "household", "household_b"), ("/api/households/", "area", "community_b"),
    ("/api/households/", "grid", "grid_b"), ("/api/areas/", "parent", "subdistrict2"),
])
def test_api_filters_by_an_id_out_of_scope_answer_as_for_one_that_does_not_exist(district, users, client_for,
                                                                                   url, param, target):
    client = client_for(users.worker_a)
    out_of_scope = client.get(url, {param: getattr(district, target).pk})
    missing = client.get(url, {param: 999999})
    assert (out_of_scope.status_code, out_of_scope.json()) == (missing.status_code, missing.json())
    assert out_of_scope.status_code == 400
    # In scope, the same filter works.
    mine = {"household_b": district.household_a101, "community_b": district.community_a,
            "grid_b": district.grid_a1, "subdistrict2": district.community_a}[target]
    assert client.get(url, {param: mine.pk}).status_code == 200
