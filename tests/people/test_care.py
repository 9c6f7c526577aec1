"""关爱对象: adding a person to a group with a worker who covers them, visits, and the "N 天未走访" list."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.people import care
from fangkong.people.models import Care, CareGroup, Visit


def days_ago(n):
    return care.today() - datetime.timedelta(days=n)


def add(person, group, worker, by):
    return care.add_care({"person": person, "group": group, "worker": worker}, user=by)


def test_adding_needs_a_worker_whose_scope_covers_the_person(district, users):
    with pytest.raises(ValidationError) as exc:
        add(district.person_a_other_grid, CareGroup.ELDERLY_ALONE, users.grid_worker, users.worker_a)
    assert "管辖范围不包括该人员" in exc.value.message_dict["worker"][0]
    with pytest.raises(ValidationError) as exc:
        add(district.person_a, CareGroup.ELDERLY_ALONE, users.worker_b, users.worker_a)
    assert exc.value.message_dict["worker"] == ["所选责任人不在您的管辖范围内"]
    with pytest.raises(ValidationError) as exc:
        add(district.person_b, CareGroup.ELDERLY_ALONE, users.worker_a, users.worker_a)
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        care.add_care({"person": district.person_a, "group": "", "worker": None}, user=users.worker_a)
    assert set(exc.value.message_dict) == {"group", "worker"}
    assert not Care.objects.exists()

    row = add(district.person_a, CareGroup.ELDERLY_ALONE, users.grid_worker, users.worker_a)
    assert (row.worker, row.last_visited_on) == (users.grid_worker, None)
    with pytest.raises(ValidationError) as exc:
        add(district.person_a, CareGroup.ELDERLY_ALONE, users.worker_a, users.worker_a)
    assert exc.value.message_dict["group"] == ["该人员已登记为独居老人"]


def test_add_through_the_page(district, users, client_for):
    client = client_for(users.worker_a)
    find = client.get("/care/new/", {"id_type": "resident_id", "id_number": district.numbers["a"]})
    assert find.status_code == 200 and "王秀英" in find.content.decode()
    missing = client.get("/care/new/", {"id_type": "resident_id", "id_number": district.numbers["b"]})
    assert "未找到该证件号码的人员" in missing.content.decode()
    assert client.get(f"/care/new/?person={district.person_b.pk}").status_code == 404
    form = client.get(f"/care/new/?person={district.person_a.pk}")
    assert form.status_code == 200
    # Offered workers are those covering the person: not the grid worker of another grid for 张子涵.
    other = client.get(f"/care/new/?person={district.person_a_other_grid.pk}")
    assert users.grid_worker not in other.context["form"].fields["worker"].queryset
    assert users.grid_worker in form.context["form"].fields["worker"].queryset
    bad = client.post("/care/new/", {"person": district.person_a.pk, "group": "", "worker": ""})
    text = bad.content.decode()
    assert bad.status_code == 400 and "请选择关爱类别" in text and "请选择责任人" in text
    ok = client.post("/care/new/", {"person": district.person_a.pk, "group": CareGroup.CHRONIC,
                                    "worker": users.grid_worker.pk, "note": "高血压"})
    assert ok.status_code == 302
    assert Care.objects.get().note == "高血压"


def test_a_visit_updates_every_care_row_of_the_person(district, users):
    elderly = add(district.person_a, CareGroup.ELDERLY_ALONE, users.grid_worker, users.worker_a)
    chronic = add(district.person_a, CareGroup.CHRONIC, users.worker_a, users.worker_a)
    care.record_visit(district.person_a, days_ago(4), "身体还好", user=users.grid_worker)
    # An older visit recorded later does not move the date back.
    care.record_visit(district.person_a, days_ago(9), "补录", user=users.worker_a)
    for row in (elderly, chronic):
        row.refresh_from_db()
        assert row.last_visited_on == days_ago(4)
    assert list(Visit.objects.filter(person=district.person_a).values_list("visited_on", flat=True)) == [
        days_ago(4), days_ago(9)]
    with pytest.raises(ValidationError) as exc:
        care.record_visit(district.person_a, care.today() + datetime.timedelta(days=1), "", user=users.worker_a)
    assert exc.value.message_dict["visited_on"] == ["走访日期不能晚于今天"]
    assert Visit.objects.count() == 2
    with pytest.raises(ValidationError):  # not a vulnerable person
        care.record_visit(district.person_a_neighbour, days_ago(1), "", user=users.worker_a)


def test_overdue_list_by_hand(district, users, client_for, make_person):
    """Visited 3, 7 and 12 days ago, and never: with N = 7, the never-visited first, then 12, then 7."""
    people = {
        "three": make_person("三天前", district.community_a, district.household_a101, by=users.worker_a),
        "seven": make_person("七天前", district.community_a, district.household_a101, by=users.worker_a),
        "twelve": make_person("十二天前", district.community_a, district.household_a102, by=users.worker_a),
        "never": make_person("从未", district.community_a, district.household_a102, by=users.worker_a),
    }
    rows = {key: add(person, CareGroup.ELDERLY_ALONE, users.worker_a, users.worker_a)
            for key, person in people.items()}
    disabled = add(people["twelve"], CareGroup.DISABLED, users.worker_a, users.worker_a)
    for key, days in (("three", 3), ("seven", 7), ("twelve", 12)):
        care.record_visit(people[key], days_ago(days), "", user=users.worker_a)
    other = add(district.person_b, CareGroup.ELDERLY_ALONE, users.worker_b, users.worker_b)  # B: never visited

    def listed(client, query):
        response = client.get(f"/care/?{query}")
        assert response.status_code == 200
        return [c.pk for c in response.context["page_obj"]]

    client = client_for(users.worker_a)
    # Never visited first, then the longest ago; 7 days ago counts as 7 天未走访; 3 days ago does not.
    assert listed(client, "days=7") == [rows["never"].pk, rows["twelve"].pk, disabled.pk, rows["seven"].pk]
    assert listed(client, "days=7&group=elderly_alone") == [rows["never"].pk, rows["twelve"].pk, rows["seven"].pk]
    assert listed(client, "days=10&group=disabled") == [disabled.pk]
    assert listed(client, "days=13") == [rows["never"].pk]
    assert listed(client, "days=0") == [rows["never"].pk, rows["twelve"].pk, disabled.pk, rows["seven"].pk,
                                        rows["three"].pk]
    assert listed(client, "") == listed(client, "days=0")
    page = client.get("/care/").content.decode()
    assert "7 天未走访" in page and "从未走访" in page
    counts = client.get("/care/?group=elderly_alone").context["counts"]
    assert counts == {"total": 4, "overdue": 3, "never": 1}
    bad = client.get("/care/?days=abc")
    assert bad.status_code == 200 and "未走访天数应为0到3650之间的整数" in bad.content.decode()
    # The other community's rows are not there, and their visit page is 404.
    assert other.pk not in listed(client, "days=0")
    assert client.get(f"/care/{other.pk}/visit/").status_code == 404
    # The grid worker (第一网格) sees the persons of 1号楼 only.
    assert set(listed(client_for(users.grid_worker), "days=0")) == {
        rows["never"].pk, rows["twelve"].pk, disabled.pk, rows["seven"].pk, rows["three"].pk}


def test_visit_page_records_and_shows_the_log(district, users, client_for):
    row = add(district.person_a, CareGroup.ELDERLY_ALONE, users.grid_worker, users.worker_a)
    client = client_for(users.grid_worker)
    page = client.get(f"/care/{row.pk}/visit/?next=/care/%3Fdays%3D7")
    assert page.status_code == 200 and "暂无走访记录" in page.content.decode()
    future = client.post(f"/care/{row.pk}/visit/", {
        "visited_on": (care.today() + datetime.timedelta(days=2)).isoformat(), "note": "x"})
    assert future.status_code == 400 and "走访日期不能晚于今天" in future.content.decode()
    assert not Visit.objects.exists()
    done = client.post(f"/care/{row.pk}/visit/", {"visited_on": care.today().isoformat(), "note": "买了米面",
                                                   "next": "/care/?days=7"})
    assert done.status_code == 302 and done["Location"] == "/care/?days=7"
    evil = client.post(f"/care/{row.pk}/visit/", {"visited_on": care.today().isoformat(),
                                                   "next": "https://evil.example/"})
    assert evil["Location"] == "/care/"
    log = client.get(f"/care/{row.pk}/visit/").content.decode()
    assert "买了米面" in log and care.today().isoformat() in log
    row.refresh_from_db()
    assert row.last_visited_on == care.today()


def test_api_lists_creates_and_records_visits(district, users, client_for):
    client = client_for(users.worker_a)
    bad = client.post("/api/cares/", {"person": district.person_a.pk, "group": CareGroup.ELDERLY_ALONE,
                                      "worker": users.worker_b.pk}, content_type="application/json")
    assert bad.status_code == 400
    assert not Care.objects.exists()
    out_of_scope = client.post("/api/cares/", {"person": district.person_b.pk, "group": CareGroup.ELDERLY_ALONE,
                                               "worker": users.worker_a.pk}, content_type="application/json")
    assert out_of_scope.status_code == 400
    created = client.post("/api/cares/", {"person": district.person_a.pk, "group": CareGroup.ELDERLY_ALONE,
                                          "worker": users.grid_worker.pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    duplicate = client.post("/api/cares/", {"person": district.person_a.pk, "group": CareGroup.ELDERLY_ALONE,
                                            "worker": users.grid_worker.pk}, content_type="application/json")
    assert duplicate.status_code == 400 and duplicate.json()["group"] == ["该人员已登记为独居老人"]
    assert [c["id"] for c in client.get("/api/cares/?days=7").json()["results"]] == [pk]
    future = client.post(f"/api/cares/{pk}/visits/", {"visited_on": "2999-01-01"}, content_type="application/json")
    assert future.status_code == 400 and future.json()["visited_on"] == ["走访日期不能晚于今天"]
    visit = client.post(f"/api/cares/{pk}/visits/", {"visited_on": days_ago(1).isoformat(), "note": "好"},
                        content_type="application/json")
    assert visit.status_code == 201 and visit.json()["last_visited_on"] == days_ago(1).isoformat()
    assert client.get("/api/cares/?days=7").json()["results"] == []
    assert client_for(users.worker_b).get(f"/api/cares/{pk}/").status_code == 404
    assert client_for(users.worker_b).get("/api/cares/").json()["results"] == []
