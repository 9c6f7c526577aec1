"""The roster: matched to persons by blind index (a new person otherwise), duplicates refused on one roster and
flagged across two, returnees from risk areas screened, and the all-or-nothing xlsx import."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.core.models import ImportJob, JobStatus
from fangkong.enterprises import services
from fangkong.enterprises.models import Employee
from fangkong.people.models import Person, Residency
from fangkong.screening.models import Screening
from tests.conftest import resident_id
from tests.enterprises.conftest import hire

ROSTER_HEADER = ["姓名", "证件号码", "手机号", "部门", "班次", "从何地返岗", "返岗日期", "返岗来源风险", "住宿"]


def test_a_known_number_is_matched_to_the_person_in_the_ledger(district, firms, client_for):
    person = district.person_a
    response = client_for(firms.boss).post(f"/enterprises/{firms.factory.pk}/roster/", {
        "name": person.name, "id_number": person.id_number, "department": "包装车间", "shift": "白班",
        "lodging": "home", "return_risk": ""})
    assert response.status_code == 302
    employee = Employee.objects.get(enterprise=firms.factory)
    assert employee.person == person and employee.department == "包装车间"
    assert Person.objects.count() == 5  # nobody new
    assert AuditEvent.objects.filter(object_type="enterprises.Employee", object_id=str(employee.pk),
                                     action="create", actor=firms.boss).exists()


def test_an_unknown_number_becomes_a_new_person_kept_apart_from_the_ledger(district, firms):
    number = resident_id("1990-05-05", 77)
    employee = services.add_employee(firms.factory, {"name": "马小军", "id_number": number, "phone": "13700001111"},
                                     user=firms.boss)
    person = employee.person
    assert person.id_number == number and person.phone == "13700001111"
    assert person.residency == Residency.VISITOR and person.area == district.community_a
    assert person.workplace == "幸福里食品厂"


def test_the_same_person_twice_on_one_roster_is_refused_and_nothing_changes(district, firms, client_for):
    hire(firms.factory, district.person_a, firms.boss)
    response = client_for(firms.boss).post(f"/enterprises/{firms.factory.pk}/roster/", {
        "name": district.person_a.name, "id_number": district.person_a.id_number, "lodging": "home"})
    assert response.status_code == 400
    assert "已在本企业名册上，请勿重复登记" in response.content.decode()
    assert Employee.objects.count() == 1


def test_a_name_that_does_not_match_the_number_is_refused(district, firms):
    with pytest.raises(ValidationError) as refused:
        services.add_employee(firms.factory, {"name": "张三", "id_number": district.person_a.id_number},
                              user=firms.boss)
    assert "姓名与该证件号码登记的姓名不一致" in str(refused.value)


def test_a_person_on_two_rosters_is_flagged_on_both(district, firms):
    first = hire(firms.other, district.person_b, firms.other_boss)
    second = hire(firms.factory, district.person_b, firms.boss)
    first.refresh_from_db()
    assert "幸福里食品厂" in first.duplicate_note and "李庄物流园" in second.duplicate_note


def test_a_returnee_from_a_risk_area_becomes_a_key_person_in_that_category(district, firms):
    employee = hire(firms.factory, district.person_a, firms.boss, returned_from="某中风险地区",
                    return_risk="risk_area")
    screening = Screening.objects.get(person=employee.person)
    assert screening.category.code == "return_risk_area" and screening.origin == "某中风险地区"
    abroad = services.add_employee(firms.factory, {"name": "高远", "id_number": resident_id("1993-02-02", 55),
                                                   "return_risk": "abroad"}, user=firms.boss)
    assert Screening.objects.get(person=abroad.person).category.code == "return_abroad"
    plain = hire(firms.factory, district.person_a_neighbour, firms.boss)
    assert not Screening.objects.filter(person=plain.person).exists()


def test_the_roster_import_saves_every_row_or_none(district, firms, xlsx, client_for,
                                                   django_capture_on_commit_callbacks):
    hire(firms.factory, district.person_a, firms.boss)
    new_one = resident_id("1991-01-01", 12)
    bad = [ROSTER_HEADER,
           ["王志强", district.person_a_neighbour.id_number, "", "包装", "白班", "", "", "无", "住家"],
           ["王秀英", district.person_a.id_number, "", "包装", "白班", "", "", "无", "住家"],  # imported before
           ["马小军", new_one, "", "包装", "白班", "", "", "无", "住家"],
           ["马小军", new_one, "", "包装", "白班", "", "", "无", "住家"],  # twice in the file
           ["刘洋", "410105199001011234", "", "", "", "", "", "无", "住家"]]  # wrong checksum
    boss = client_for(firms.boss)
    with django_capture_on_commit_callbacks(execute=True):
        boss.post(f"/enterprises/{firms.factory.pk}/roster/import/", {"file": xlsx.upload(bad)})
    job = ImportJob.objects.latest("pk")
    assert job.status == JobStatus.FAILED
    assert [row[0] for row in job.errors] == [3, 5, 6]
    assert "重复导入" in job.errors[0][2] and "与第 4 行重复" in job.errors[1][2]
    assert Employee.objects.count() == 1
    good = [ROSTER_HEADER,
            ["王志强", district.person_a_neighbour.id_number, "", "包装", "白班", "郑州", "2022-03-06", "无", "住宿舍"],
            ["马小军", new_one, "13700001111", "仓库", "夜班", "上海", "2022-03-05", "中高风险地区", "住家"]]
    with django_capture_on_commit_callbacks(execute=True):
        boss.post(f"/enterprises/{firms.factory.pk}/roster/import/", {"file": xlsx.upload(good)})
    job = ImportJob.objects.latest("pk")
    assert job.status == JobStatus.DONE, job.errors
    assert Employee.objects.filter(enterprise=firms.factory, active=True).count() == 3
    assert Employee.objects.get(person=district.person_a_neighbour).lodging == "dormitory"
    assert Screening.objects.get(person__in=Person.objects.with_document("resident_id", new_one)).category.code == \
        "return_risk_area"


def test_another_enterprise_cannot_import_into_this_roster(firms, xlsx, client_for):
    response = client_for(firms.other_boss).post(f"/enterprises/{firms.factory.pk}/roster/import/",
                                                 {"file": xlsx.upload([ROSTER_HEADER])})
    assert response.status_code == 404
