"""No identity or phone number in clear anywhere in the database, whichever way persons came in."""

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.audit.services import record
from fangkong.people.models import Person
from tests.conftest import export_persons


def test_no_table_holds_a_number_in_clear(district, users, client_for, make_person, new_resident_id, leaks):
    by_service = new_resident_id("1988-09-09")
    by_page, by_api = new_resident_id("1977-07-17"), new_resident_id("1966-06-26")
    new_phone = "18638001234"
    make_person("钱一", district.community_a, district.household_a101, by_service, "13512345678")
    worker = client_for(users.worker_a)
    response = worker.post("/people/new/", {
        "name": "孙二", "id_type": "resident_id", "id_number": by_page.lower(), "sex": "U", "phone": "13612345678",
        "area": district.community_a.pk, "household": district.household_a102.pk})
    assert response.status_code == 302
    response = worker.post("/api/persons/", {"name": "周三", "id_number": by_api, "phone": "+86 137 1234 5678",
                                             "area": district.community_a.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(name="钱一")
    # Edit the phone, reveal, search and export by full numbers: none of it may leave a number behind.
    response = worker.post(f"/people/{person.pk}/edit/", {
        "name": "钱一", "id_type": "resident_id", "id_number": "", "sex": "U", "phone": new_phone,
        "area": district.community_a.pk, "household": district.household_a101.pk})
    assert response.status_code == 302
    assert worker.post(f"/people/{person.pk}/reveal/").status_code == 200
    assert worker.post(f"/api/persons/{person.pk}/reveal/").status_code == 200
    for q in (by_service, by_service[-6:], new_phone, "13612345678"):
        assert worker.get("/people/", {"q": q}).status_code == 200
        assert export_persons(worker, q=q)
        assert worker.get("/api/persons/", {"q": q}).status_code == 200

    numbers = {
        "fixture id a": district.numbers["a"], "fixture id b": district.numbers["b"],
        "fixture phone a": district.numbers["phone_a"], "fixture phone b": district.numbers["phone_b"],
        "service id": by_service, "page id": by_page, "api id": by_api,
        "old phone": "13512345678", "new phone": new_phone, "page phone": "13612345678", "api phone": "13712345678",
    }
    tails = {f"tail6:{label}": value[-6:] for label, value in numbers.items() if "id" in label.split()}
    secrets = {**numbers, **tails}
    assert leaks(secrets) == []

    # The audit log was part of the scan, and it does hold what happened to these persons.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.CREATE, AuditAction.UPDATE, AuditAction.UNMASK, AuditAction.EXPORT} <= actions
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="people.Person", object_id=str(person.pk))
    assert created.changes["id_number_encrypted"] == "(已加密)" and created.changes["phone_encrypted"] == "(已加密)"


def test_the_scan_does_see_a_number_that_is_stored_in_clear(district, users, leaks):
    """The scan itself works: a number typed into a free-text field is found."""
    from fangkong.territory import services

    household = district.household_c
    household.address = f"新华路8号院 {district.numbers['c']}"
    services.save_record(household, user=users.admin)
    # Found in the row and in the audit row of the change (free text is logged as typed).
    assert {table for table, _label, _text in leaks({"id c": district.numbers["c"]})} == {
        "territory_household", "audit_auditevent"}
    # ...and so is one inside a JSON column (the audit log's changes).
    record(AuditAction.EXPORT, object_type="test", changes={"note": district.numbers["b"]})
    assert [table for table, _label, _text in leaks({"id b": district.numbers["b"]})] == ["audit_auditevent"]
    # The last six digits inside a full number are that number's; alone, they are a leak of their own.
    assert leaks({"tail6:id b": district.numbers["b"][-6:]}) == []
    record(AuditAction.EXPORT, object_type="test", changes={"q": district.numbers["b"][-6:]})
    assert [table for table, *_ in leaks({"tail6:id b": district.numbers["b"][-6:]})] == ["audit_auditevent"]
