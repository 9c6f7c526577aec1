"""Everyone who scans is a visitor (来访人员) until a worker confirms them: counted nowhere as a resident,
listed under 来访人员 for the community's workers, and a declaration never tells whether a number exists."""

import re

from django.core.cache import cache
from django.test import Client

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.models import JobStatus
from fangkong.healthcode import services as healthcode
from fangkong.passes.models import Declaration, DeviceMember, Passage
from fangkong.people.models import Person, Residency
from tests.conftest import make_user
from tests.passes.office_helpers import checkpoint_user, make_place
from tests.people import test_ledger_import as ledger_import
from tests.people.test_ledger_import import row

ADDRESS = "郑州市金水区花园路8号"
upload = ledger_import.upload  # the ledger import tests' fixture: rows uploaded through /people/import/


def declaration(name, number, **extra):
    return {"name": name, "id_type": "resident_id", "id_number": number, "phone": "", "address": ADDRESS,
            "visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no", "temperature": "36.5",
            "consent": "on", **extra}


def scan(gate, name, number, phone=None, phone_number="", **extra):
    """A phone (a fresh client unless given) declares at the gate, giving `phone_number`; the response."""
    phone = phone or Client()
    return phone.post(f"/c/{gate.code}/declare", declaration(name, number, phone=phone_number, **extra))


def person_count_on_pages(client, area):
    """人数 on the community's territory page and 共 N 人 on the persons list, read fresh (counts are cached)."""
    cache.clear()
    area_page = client.get(f"/territory/areas/{area.pk}/").content.decode()
    territory = re.search(r'<div class="stat"><b>([\d,]+)</b><span>人数</span>', area_page).group(1)
    persons = re.search(r'id="person-count">共 ([\d,]+) 人', client.get("/people/").content.decode()).group(1)
    return int(territory.replace(",", "")), int(persons.replace(",", ""))


def answer(response) -> str:
    """The page a declarant sees, without the clock's seconds."""
    return re.sub(r"\d{2}:\d{2}:\d{2}", "hh:mm:ss", response.content.decode())


def test_a_new_visitors_scan_changes_no_count_and_the_worker_finds_them_under_visitors(
        district, users, client_for, gate, new_resident_id):
    worker = client_for(users.worker_a)
    before = person_count_on_pages(worker, district.community_a)

    response = scan(gate, "刘桂兰", new_resident_id("1958-04-02"))
    assert response.status_code == 200 and "可以通行" in response.content.decode()

    visitor = Person.objects.get(name="刘桂兰")
    assert (visitor.residency, visitor.area, visitor.household) == (Residency.VISITOR, district.community_a, None)
    assert person_count_on_pages(worker, district.community_a) == before
    assert "刘桂兰" not in worker.get("/people/").content.decode()
    listed = worker.get("/people/?residency=visitor").content.decode()
    assert "刘桂兰" in listed and 'id="person-count">共 1 人' in listed
    # The health-code overview counts residents too; the other community's worker does not see the visitor.
    assert sum(healthcode.colour_counts(users.worker_a)[district.community_a.pk].values()) == before[0]
    assert "刘桂兰" not in client_for(users.worker_b).get("/people/?residency=visitor").content.decode()


def test_confirming_a_visitor_moves_them_into_the_ledger_with_an_audit_row(
        district, users, client_for, gate, new_resident_id):
    scan(gate, "刘桂兰", new_resident_id("1958-04-02"))
    visitor = Person.objects.get(name="刘桂兰")
    worker = client_for(users.worker_a)
    before = person_count_on_pages(worker, district.community_a)

    detail = worker.get(f"/people/{visitor.pk}/").content.decode()
    assert f'href="/people/{visitor.pk}/edit/?confirm=1"' in detail and ADDRESS in detail
    form = worker.get(f"/people/{visitor.pk}/edit/?confirm=1").content.decode()
    assert "确认为本辖区人员" in form and 'value="visitor"' not in form
    response = worker.post(f"/people/{visitor.pk}/edit/?confirm=1", {
        "name": "刘桂兰", "id_type": "resident_id", "id_number": "", "sex": "F", "phone": "",
        "area": district.community_a.pk, "household": district.household_a102.pk, "household_role": "parent",
        "residency": "permanent", "vaccine_doses": "2"})
    assert response.status_code == 302

    visitor.refresh_from_db()
    assert (visitor.residency, visitor.household) == (Residency.PERMANENT, district.household_a102)
    event = AuditEvent.objects.filter(object_type="people.Person", object_id=str(visitor.pk),
                                      action=AuditAction.UPDATE).latest("pk")
    assert event.actor == users.worker_a and "residency" in event.changes
    assert person_count_on_pages(worker, district.community_a) == (before[0] + 1, before[1] + 1)
    assert "刘桂兰" not in worker.get("/people/?residency=visitor").content.decode()


def test_a_junk_declaration_does_not_block_the_real_holder_and_answers_like_an_unknown_number(
        district, gate, new_resident_id):
    holder = district.person_a  # 王秀英, in the ledger
    declarations_before = Declaration.objects.filter(person=holder).count()

    junk = scan(gate, "李四", district.numbers["a"])
    unknown = scan(gate, "李四", new_resident_id("1990-01-01"))
    assert (junk.status_code, answer(junk)) == (unknown.status_code, answer(unknown))
    assert "证件号码与姓名不一致" not in answer(junk) and "李*" in answer(junk)
    assert junk.cookies.keys() == unknown.cookies.keys()
    # The passage is the declared identity's; her record, her declarations and her phones are untouched.
    assert Passage.objects.filter(person=holder).count() == 1
    holder.refresh_from_db()
    assert holder.name == "王秀英" and holder.residency == Residency.PERMANENT
    assert Declaration.objects.filter(person=holder).count() == declarations_before
    assert not DeviceMember.objects.filter(person=holder).exists()

    # The real holder then declares on her own phone and passes, one tap after that.
    her_phone = Client()
    response = scan(gate, "王秀英", district.numbers["a"], phone=her_phone)
    assert response.status_code == 200 and "可以通行" in response.content.decode()
    assert DeviceMember.objects.filter(person=holder).count() == 1
    assert Passage.objects.filter(person=holder).count() == 2


def test_a_visitor_declared_again_under_another_name_is_accepted_and_follows_the_latest(gate, new_resident_id):
    number = new_resident_id("1975-09-09")
    their_phone = Client()
    scan(gate, "张三", number, phone=their_phone)
    response = scan(gate, "张叁", number, phone=their_phone)
    assert response.status_code == 200 and "已申报" in response.content.decode()
    visitor = Person.objects.with_document("resident_id", number).get()
    assert visitor.name == "张叁" and visitor.residency == Residency.VISITOR
    assert sorted(Declaration.objects.filter(person=visitor).values_list("name", flat=True)) == ["张三", "张叁"]
    assert Passage.objects.filter(person=visitor).count() == 1  # the second declaration added a name, no passage


def test_another_phone_declaring_a_visitors_number_changes_neither_their_name_nor_their_phone(
        gate, new_resident_id):
    """The phone number on record is where a one-time code goes: a phone that has not proven the visitor is
    theirs must not put its own number (or name) there."""
    number = new_resident_id("1975-09-09")
    scan(gate, "张三", number, phone_number="13903710001")
    response = scan(gate, "张叁", number, phone_number="13903719999")
    assert response.status_code == 200 and "可以通行" in response.content.decode()
    visitor = Person.objects.with_document("resident_id", number).get()
    assert (visitor.name, visitor.phone) == ("张三", "13903710001")
    assert Passage.objects.filter(person=visitor).count() == 2


def test_an_outside_visitor_declares_without_choosing_a_community(district, gate, new_resident_id):
    page = Client().get(f"/c/{gate.code}").content.decode()
    assert '<option value="" selected>不选（外地来访）</option>' in page

    response = scan(gate, "陈建国", new_resident_id("1966-06-06"))
    assert response.status_code == 200 and "可以通行" in response.content.decode()
    visitor = Person.objects.get(name="陈建国")
    assert visitor.area == district.community_a  # where first seen: its workers may confirm them
    assert Declaration.objects.get(person=visitor).address == ADDRESS


def test_a_resident_naming_their_community_is_filed_there_for_its_workers(
        district, users, client_for, gate, new_resident_id):
    scan(gate, "赵文", new_resident_id("1988-08-08"), community=district.community_c.pk)
    visitor = Person.objects.get(name="赵文")
    assert (visitor.area, visitor.residency) == (district.community_c, Residency.VISITOR)
    worker_c = make_user("worker_c", Role.COMMUNITY_WORKER, district.community_c)
    assert "赵文" in client_for(worker_c).get("/people/?residency=visitor").content.decode()
    assert "赵文" not in client_for(users.worker_a).get("/people/?residency=visitor").content.decode()


def test_registering_a_visitors_number_in_another_community_confirms_that_visitor(
        district, users, client_for, gate, new_resident_id):
    number = new_resident_id("1979-03-03")
    scan(gate, "孙丽", number)  # first seen in A; lives in B
    visitor = Person.objects.get(name="孙丽")
    response = client_for(users.worker_b).post("/people/new/", {
        "name": "孙丽", "id_type": "resident_id", "id_number": number, "sex": "F", "phone": "",
        "area": district.community_b.pk, "household": district.household_b.pk, "household_role": "spouse",
        "residency": "floating", "vaccine_doses": "0"})
    assert response.status_code == 302
    assert Person.objects.with_document("resident_id", number).count() == 1
    visitor.refresh_from_db()
    assert (visitor.area, visitor.household, visitor.residency) == (
        district.community_b, district.household_b, Residency.FLOATING)


def test_the_guards_assisted_registration_makes_a_visitor(district, client_for, gate, new_resident_id):
    guard = checkpoint_user("guard_v", district.community_a, gate)
    response = client_for(guard).post(f"/station/{gate.pk}/assist/", {
        "id_type": "resident_id", "id_number": new_resident_id("1948-02-03"), "name": "刘桂香", "phone": "",
        "temperature": "36.6", "direction": "in", "visited_risk_area": "no", "has_symptoms": "no",
        "had_contact": "no", "consent": "on", "token": "a" * 32})
    assert response.status_code == 302
    person = Person.objects.get(name="刘桂香")
    assert person.residency == Residency.VISITOR and person.household is None
    assert Declaration.objects.get(person=person).name == "刘桂香"


def test_a_ledger_import_confirms_a_visitor_first_seen_in_another_community(
        district, users, client_for, new_resident_id, upload):
    elsewhere = make_place(district.community_b, "李庄村口")
    number = new_resident_id("1983-12-12")
    their_phone = Client()
    scan(elsewhere, "马云霞", number, phone=their_phone)  # first seen in B, under a slip of the finger; lives in A
    scan(elsewhere, "马云", number, phone=their_phone)
    visitor = Person.objects.get(name="马云")
    job = upload(users.worker_a, [row("马云霞", number, building="1号楼", room="102", role="配偶")])
    assert job.status == JobStatus.DONE, job.errors
    assert job.summary["更新人员"] == 1 and job.summary["新增人员"] == 0
    visitor.refresh_from_db()
    assert (visitor.name, visitor.area, visitor.household, visitor.residency) == (
        "马云霞", district.community_a, district.household_a102, Residency.PERMANENT)


def test_a_visitor_is_given_a_household_only_by_confirming_them(district, users, client_for, gate, new_resident_id):
    scan(gate, "刘桂兰", new_resident_id("1958-04-02"))
    visitor = Person.objects.get(name="刘桂兰")
    response = client_for(users.worker_a).post(f"/people/{visitor.pk}/edit/", {
        "name": "刘桂兰", "id_type": "resident_id", "id_number": "", "sex": "F", "phone": "",
        "area": district.community_a.pk, "household": district.household_a102.pk, "residency": "visitor",
        "vaccine_doses": "0"})
    assert response.status_code == 200 and "来访人员不属于任何户：请先确认为本辖区人员" in response.content.decode()
    visitor.refresh_from_db()
    assert visitor.household is None and visitor.residency == Residency.VISITOR


def test_the_api_lists_the_ledger_and_visitors_apart(district, users, client_for, gate, new_resident_id):
    scan(gate, "刘桂兰", new_resident_id("1958-04-02"))
    visitor = Person.objects.get(name="刘桂兰")
    api = client_for(users.worker_a)
    ledger = {row["id"] for row in api.get("/api/persons/", {"page_size": 100}).json()["results"]}
    visitors = {row["id"] for row in api.get("/api/persons/", {"residency": "visitor"}).json()["results"]}
    assert visitor.pk not in ledger and district.person_a.pk in ledger
    assert visitors == {visitor.pk}
    assert api.get(f"/api/persons/{visitor.pk}/").json()["residency"] == "visitor"
