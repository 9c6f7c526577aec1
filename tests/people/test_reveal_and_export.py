"""Full numbers only for roles that may see them, and every such read is in the audit log."""

import pytest
from django.contrib.auth.models import Permission

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.identity import mask_document, mask_phone
from fangkong.core.models import ExportJob
from fangkong.people.models import Person
from tests.conftest import export_persons

HEADER = ["姓名", "性别", "出生日期", "证件类型", "证件号码", "手机号", "社区/村", "住址", "与户主关系", "人口类型",
          "返回日期", "从何地返回", "工作单位", "疫苗接种剂次"]


def audit_rows(action):
    return list(AuditEvent.objects.filter(action=action))


def test_a_community_worker_reveals_full_numbers_and_the_read_is_audited(district, users, client_for):
    person = district.person_a
    response = client_for(users.worker_a).post(f"/people/{person.pk}/reveal/")
    page = response.content.decode()
    assert response.status_code == 200
    assert district.numbers["a"] in page and district.numbers["phone_a"] in page
    [event] = audit_rows(AuditAction.UNMASK)
    assert (event.actor, event.object_type, event.object_id) == (users.worker_a, "people.Person", str(person.pk))
    assert event.changes == {"field": "id_number,phone"} and event.ip == "127.0.0.1"


def test_the_detail_page_offers_reveal_only_to_roles_that_may(district, users, client_for):
    url = f"/people/{district.person_a.pk}/"
    assert "显示完整号码" in client_for(users.worker_a).get(url).content.decode()
    assert "显示完整号码" not in client_for(users.leader).get(url).content.decode()


def test_reveal_needs_post(district, users, client_for):
    assert client_for(users.worker_a).get(f"/people/{district.person_a.pk}/reveal/").status_code == 405
    assert not audit_rows(AuditAction.UNMASK)


@pytest.mark.parametrize("who", ["leader", "grid_worker"])
def test_roles_without_the_permission_get_403_and_leave_no_audit_row(district, users, client_for, who):
    response = client_for(getattr(users, who)).post(f"/people/{district.person_a.pk}/reveal/")
    assert response.status_code == 403
    assert district.numbers["a"] not in response.content.decode()
    assert not audit_rows(AuditAction.UNMASK)


def test_the_api_reveal_action_is_audited_and_refused_to_the_leader(district, users, client_for):
    url = f"/api/persons/{district.person_b.pk}/reveal/"
    response = client_for(users.worker_b).post(url)
    assert response.status_code == 200
    assert response.json() == {"id_number": district.numbers["b"], "phone": district.numbers["phone_b"]}
    assert [e.actor for e in audit_rows(AuditAction.UNMASK)] == [users.worker_b]

    response = client_for(users.leader).post(url)
    assert response.status_code == 403
    assert district.numbers["b"] not in response.content.decode()
    assert len(audit_rows(AuditAction.UNMASK)) == 1


def test_the_api_reads_numbers_masked(district, users, client_for):
    data = client_for(users.worker_b).get(f"/api/persons/{district.person_b.pk}/").json()
    assert data["id_number_masked"] == mask_document(district.numbers["b"])
    assert data["phone_masked"] == mask_phone(district.numbers["phone_b"])
    assert "id_number" not in data and "phone" not in data
    assert district.numbers["b"] not in str(data)


def export(client, **params):
    return export_persons(client, **params)


def data_rows(rows):
    """The person rows of an export: below the header, above the blank line and the signature."""
    assert rows[0] == HEADER
    return [row for row in rows[1:] if row and row[0] and not str(row[0]).startswith("导出人")]


def test_an_export_is_scoped_full_for_a_community_worker_and_audited(district, users, client_for, xlsx):
    rows = xlsx.rows(export(client_for(users.worker_a)))
    persons = data_rows(rows)
    assert sorted(row[0] for row in persons) == sorted(p.name for p in district.persons_a)
    wang = next(row for row in persons if row[0] == "王秀英")
    assert wang == ["王秀英", "女", "1956-03-12", "居民身份证", district.numbers["a"], district.numbers["phone_a"],
                    "幸福里社区", "幸福里小区1号楼1单元101", None, "户籍人口", None, None, None, 0]
    assert rows[-1][0].startswith("导出人：worker_a") and "共 3 条" in rows[-1][0]
    [event] = audit_rows(AuditAction.EXPORT)
    assert (event.actor, event.object_type) == (users.worker_a, "people.Person")
    job = ExportJob.objects.get()
    assert event.changes == {"rows": 3, "filters": {"full_numbers": True, "job": job.pk}}


def test_an_export_is_masked_for_a_role_without_full_numbers(district, users, client_for, xlsx):
    clerk = users.grid_worker
    clerk.user_permissions.add(Permission.objects.get(codename="export_person"))
    persons = data_rows(xlsx.rows(export(client_for(clerk))))
    assert [row[0] for row in persons] == ["王秀英", "王志强"]  # the grid's households only
    assert persons[0][4:6] == [mask_document(district.numbers["a"]), mask_phone(district.numbers["phone_a"])]
    [event] = audit_rows(AuditAction.EXPORT)
    assert event.changes["filters"]["full_numbers"] is False


def test_an_export_keeps_the_list_filters(district, users, client_for, xlsx):
    persons = data_rows(xlsx.rows(export(client_for(users.admin), area=district.community_b.pk)))
    assert [row[0] for row in persons] == ["李建国"]
    [event] = audit_rows(AuditAction.EXPORT)
    assert event.changes["filters"] == {"area": str(district.community_b.pk), "full_numbers": True,
                                        "job": ExportJob.objects.get().pk}


def test_the_leader_may_not_export(district, users, client_for):
    assert client_for(users.leader).post("/people/export/").status_code == 403
    assert not audit_rows(AuditAction.EXPORT)


def test_cells_that_look_like_formulas_are_written_as_text(district, users, client_for, xlsx):
    from tests.conftest import stored_before_names_were_checked

    # Names are refused at entry now (normalize_person_name); rows stored before that are still exported safely.
    names = ['=HYPERLINK("http://evil.example/","点我")', "+1+2", "-3+4", "@SUM(A1)"]
    for name in names:
        stored_before_names_were_checked(name, district.community_c)
    content = export(client_for(users.admin), area=district.community_c.pk)
    persons = data_rows(xlsx.rows(content))
    assert sorted(row[0] for row in persons) == sorted(["赵丽", *names])
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(content)).worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_an_export_with_many_persons_holds_them_all(district, users, client_for, xlsx, new_resident_id):
    persons = []
    for n in range(120):
        person = Person(name=f"居民{n}", area=district.community_c, household=district.household_c)
        person.set_document("resident_id", new_resident_id("2001-01-01", n))
        persons.append(person)
    Person.objects.bulk_create(persons)
    rows = data_rows(xlsx.rows(export(client_for(users.admin), area=district.community_c.pk, q="居民")))
    assert sorted(row[0] for row in rows) == sorted(f"居民{n}" for n in range(120))


def test_a_number_searched_for_is_masked_in_the_export_audit_row(district, users, client_for):
    client = client_for(users.worker_a)
    for q in (district.numbers["a"], district.numbers["a"][-6:], district.numbers["phone_a"], "王"):
        export(client, q=q)
    logged = [e.changes["filters"]["q"] for e in AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("id")]
    assert logged == [mask_document(district.numbers["a"]), "******", mask_phone(district.numbers["phone_a"]), "王"]


def test_the_export_button_is_shown_only_to_roles_that_may_export(district, users, client_for):
    assert "导出 Excel" in client_for(users.worker_a).get("/people/").content.decode()
    assert "导出 Excel" not in client_for(users.leader).get("/people/").content.decode()
