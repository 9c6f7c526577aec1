"""Ledger fields of a person (与户主关系, 人口类型, 返回, 工作单位, 疫苗): one service for page and API; the
household page with everyone's current status; scope."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.people import services
from fangkong.people.models import Care, CareGroup, HouseholdRole, Person, Rental
from fangkong.screening.models import Category, Screening
from tests.conftest import resident_id


def person_data(district, **extra):
    return {"name": "刘洋", "id_type": "resident_id", "id_number": resident_id("1995-04-04"),
            "area": district.community_a, "household": district.household_a101, **extra}


def make_head(district, users):
    return services.create_person(person_data(district, name="王秀兰", household_role=HouseholdRole.HEAD),
                                  user=users.admin)


def test_ledger_fields_are_saved(district, users):
    person = services.create_person(person_data(
        district, household_role="child", residency="floating", returned_on=datetime.date(2022, 3, 1),
        returned_from="上海市", workplace="郑州大学", vaccine_doses=3), user=users.worker_a)
    person.refresh_from_db()
    assert (person.household_role, person.residency, person.returned_on, person.returned_from, person.workplace,
            person.vaccine_doses) == ("child", "floating", datetime.date(2022, 3, 1), "上海市", "郑州大学", 3)


@pytest.mark.parametrize("extra, field, message", [
    ({"returned_on": datetime.date.today() + datetime.timedelta(days=1), "returned_from": "北京"}, "returned_on",
     "返回日期不能晚于今天"),
    ({"returned_on": datetime.date(2022, 3, 1)}, "returned_from", "填写了返回日期，请填写从何地返回"),
    ({"vaccine_doses": 6}, "vaccine_doses", "疫苗接种剂次应为 0 到 5 之间的整数"),
    ({"vaccine_doses": -1}, "vaccine_doses", "疫苗接种剂次应为 0 到 5 之间的整数"),
])
def test_bad_ledger_fields_change_nothing(district, users, extra, field, message):
    count = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.create_person(person_data(district, **extra), user=users.worker_a)
    assert exc.value.message_dict[field] == [message]
    assert Person.objects.count() == count


def test_a_household_has_one_head(district, users):
    head = make_head(district, users)
    with pytest.raises(ValidationError) as exc:
        services.create_person(person_data(district, household_role="head"), user=users.worker_a)
    assert exc.value.message_dict["household_role"] == ["该户已有户主：王*兰"]
    # Editing the head themself is fine; making a member head is not.
    services.update_person(head, {**person_data(district, name="王秀兰", household_role="head"),
                                  "id_number": head.id_number}, user=users.worker_a)
    member = services.create_person(person_data(district, household_role="spouse"), user=users.worker_a)
    with pytest.raises(ValidationError):
        services.update_person(member, {**person_data(district, household_role="head"),
                                        "id_number": member.id_number}, user=users.worker_a)
    member.refresh_from_db()
    assert member.household_role == "spouse"


def test_the_database_backstop_gives_the_same_message(district, users):
    make_head(district, users)
    person = Person(name="赵强", area=district.community_a, household=district.household_a101, household_role="head")
    person.set_document("resident_id", resident_id("1991-01-01"))
    with pytest.raises(ValidationError) as exc:
        services._save(person, users.admin)
    assert exc.value.message_dict["household_role"] == ["该户已有户主：王*兰"]


def test_a_grid_worker_must_name_the_household(district, users, client_for):
    with pytest.raises(ValidationError) as exc:
        services.create_person(person_data(district, household=None), user=users.grid_worker)
    assert "household" in exc.value.message_dict
    response = client_for(users.grid_worker).post("/people/new/", {
        "name": "孙悟", "id_type": "resident_id", "id_number": resident_id("1994-01-01"), "sex": "U",
        "area": district.community_a.pk})
    assert response.status_code == 200 and not Person.objects.filter(name="孙悟").exists()


def test_form_page_saves_ledger_fields_and_keeps_input_on_error(district, users, client_for):
    client = client_for(users.worker_a)
    form = {"name": "钱多多", "id_type": "resident_id", "id_number": resident_id("2010-10-10"), "sex": "U",
            "area": district.community_a.pk, "household": district.household_a102.pk, "household_role": "child",
            "residency": "permanent", "returned_on": "2022-03-05", "returned_from": "", "workplace": "",
            "vaccine_doses": "2"}
    response = client.post("/people/new/", form)
    page = response.content.decode()
    assert response.status_code == 200 and "填写了返回日期，请填写从何地返回" in page and "钱多多" in page
    response = client.post("/people/new/", {**form, "returned_from": "武汉市"})
    assert response.status_code == 302
    person = Person.objects.get(name="钱多多")
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "子女" in page and "2022-03-05" in page and "武汉市" in page


def test_new_member_page_preselects_household_and_area(district, users, client_for):
    page = client_for(users.admin).get(f"/people/new/?household={district.household_a102.pk}").content.decode()
    assert f'<option value="{district.household_a102.pk}" selected>' in page
    assert f'<option value="{district.community_a.pk}" selected>' in page


@pytest.fixture
def statuses(district, users):
    person = district.person_a
    category = Category.objects.first() or Category.objects.create(name="三返人员")
    Screening.objects.create(person=person, category=category, area=person.area, grid=district.grid_a1_group,
                             reported_on=datetime.date.today(), follow_up="home_monitoring")
    Care.objects.create(person=person, group=CareGroup.ELDERLY_ALONE)
    Rental.objects.create(household=district.household_a101, landlord_name="房东")
    Person.objects.filter(pk=person.pk).update(household_role=HouseholdRole.HEAD, residency="permanent")
    return category


def test_household_page_shows_members_with_status(district, users, client_for, statuses, django_assert_max_num_queries):
    client = client_for(users.grid_worker)
    with django_assert_max_num_queries(20):
        response = client.get(f"/territory/households/{district.household_a101.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "王秀英" in page and "户主" in page and "户籍人口" in page and "岁" in page
    number = district.numbers["a"]
    assert number[:4] + "*" * 10 + number[-4:] in page and number not in page
    assert statuses.name in page and "独居老人" in page
    link = f"/people/new/?area={district.community_a.pk}&household={district.household_a101.pk}"
    assert "添加家庭成员" in page and link in page.replace("&amp;", "&")
    assert 'id="rental"' in page and "是" in page


def test_person_page_shows_status_and_actions(district, users, client_for, statuses):
    page = client_for(users.worker_a).get(f"/people/{district.person_a.pk}/").content.decode()
    assert statuses.name in page and "独居老人" in page and "户主" in page
    leader_page = client_for(users.leader).get(f"/people/{district.person_a.pk}/").content.decode()
    assert "列为重点人员" not in leader_page and "登记关爱对象" not in leader_page


def test_other_communitys_household_is_404(district, users, client_for):
    client = client_for(users.worker_a)
    assert client.get(f"/territory/households/{district.household_b.pk}/").status_code == 404
    assert client.get(f"/api/households/{district.household_b.pk}/").status_code == 404
    assert client.get(f"/territory/households/{district.household_a101.pk}/").status_code == 200


def test_list_filters(district, users, client_for):
    services.create_person(person_data(district, name="返乡人", returned_on=datetime.date.today(),
                                       returned_from="深圳", residency="floating"), user=users.worker_a)
    client = client_for(users.worker_a)
    page = client.get("/people/?residency=floating").content.decode()
    assert "返乡人" in page and "王秀英" not in page
    page = client.get("/people/?returned=recent").content.decode()
    assert "返乡人" in page and "王志强" not in page


def test_api_person_fields_and_household_members(district, users, client_for, statuses):
    client = client_for(users.worker_a)
    data = {"name": "吴返", "id_number": resident_id("1993-03-03"), "area": district.community_a.pk,
            "household": district.household_a102.pk, "household_role": "head", "residency": "floating",
            "returned_on": "2022-03-02", "returned_from": "杭州", "workplace": "某公司", "vaccine_doses": 2}
    response = client.post("/api/persons/", data, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["household_role"], body["returned_from"], body["vaccine_doses"]) == ("head", "杭州", 2)
    response = client.post("/api/persons/", {**data, "id_number": resident_id("1993-03-04")},
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json().get("household_role") == ["该户已有户主：吴*"], response.json()
    response = client.post("/api/persons/", {**data, "id_number": resident_id("1993-03-05"), "household_role": "",
                                             "vaccine_doses": 9}, content_type="application/json")
    assert response.status_code == 400 and "vaccine_doses" in response.json()

    detail = client.get(f"/api/households/{district.household_a101.pk}/").json()
    member = next(m for m in detail["members"] if m["name"] == "王秀英")
    number = district.numbers["a"]
    assert member["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(detail) and "id_number" not in member
    assert member["open_screenings"][0]["category"] == statuses.name and member["care_groups"] == ["elderly_alone"]
    assert "members" not in client.get("/api/households/").json()["results"][0]


def test_export_has_the_ledger_columns(district, users, client_for, xlsx):
    from tests.conftest import export_persons

    services.update_person(district.person_a, {
        "name": "王秀英", "id_type": "resident_id", "id_number": district.numbers["a"], "phone": "",
        "area": district.community_a, "household": district.household_a101, "household_role": "head",
        "residency": "floating", "returned_on": datetime.date(2022, 3, 1), "returned_from": "上海市",
        "workplace": "=cmd|' /C calc'!A0", "vaccine_doses": 3}, user=users.worker_a)
    rows = xlsx.rows(export_persons(client_for(users.worker_a)))
    assert rows[0][8:] == ["与户主关系", "人口类型", "返回日期", "从何地返回", "工作单位", "疫苗接种剂次"]
    wang = next(row for row in rows if row[0] == "王秀英")
    assert wang[8:] == ["户主", "流动人口", "2022-03-01", "上海市", "=cmd|' /C calc'!A0", 3]
    assert not any(row[0] == "李建国" for row in rows)  # scoped
