"""出租屋: registering, tenants in and out, the commitment letter, the list's filters, scope, the API."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.people import rentals
from fangkong.people.models import HouseholdRole, Person, Rental, RentalState, Residency, Tenancy
from tests import viewtests

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TODAY = datetime.date.today


def days_ago(n):
    return rentals.today() - datetime.timedelta(days=n)


@pytest.fixture
def rental_a(district, users):
    """A let flat in 幸福里 (the grid worker's grid), landlord 刘德明."""
    return rentals.register_rental({
        "household": district.household_a101, "landlord_name": "刘德明", "landlord_phone": "139 0371 5678",
    }, user=users.worker_a)


@pytest.fixture
def rental_b(district, users):
    return rentals.register_rental({
        "household": district.household_b, "landlord_name": "李老三", "landlord_phone": "13837150000",
        "state": RentalState.VACANT}, user=users.worker_b)


class TestRentalPages(viewtests.ListTests, viewtests.DetailTests, viewtests.OutsideScopeTests):
    viewer = "worker_a"
    list_url = "/rentals/"
    detail_url = "/rentals/{pk}/"
    outside_requests = ["/rentals/{pk}/", "/rentals/{pk}/letter/", "/rentals/{pk}/letter.pdf", "/api/rentals/{pk}/",
                        ("POST", "/rentals/{pk}/state/", {"state": "rented"})]

    inside = viewtests.pick("rental_a")
    outside = viewtests.pick("rental_b")

    def shown(self, rental):
        return rental.landlord_name


def test_registering_stores_the_landlord_phone_encrypted_and_shows_it_masked(rental_a, client_for, users, leaks):
    assert rental_a.landlord_phone == "13903715678"
    assert leaks({"phone": "13903715678"}) == []
    page = client_for(users.grid_worker).get("/rentals/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "刘德明" in text and "139****5678" in text and "13903715678" not in text
    assert AuditEvent.objects.filter(object_type="people.Rental", action=AuditAction.CREATE,
                                     actor=users.worker_a).exists()


def test_register_through_the_page_with_errors_then_success(district, users, client_for):
    client = client_for(users.worker_a)
    form = client.get(f"/rentals/new/?household={district.household_a102.pk}")
    assert form.status_code == 200 and "幸福里小区1号楼1单元102" in form.content.decode()
    bad = client.post("/rentals/new/", {"household": district.household_a102.pk, "landlord_name": "",
                                        "landlord_phone": "12345", "state": "rented"})
    text = bad.content.decode()
    assert bad.status_code == 200 and "请填写房东姓名" in text and "手机号码应为11位" in text
    assert not Rental.objects.exists()
    ok = client.post("/rentals/new/", {"household": district.household_a102.pk, "landlord_name": "陈静",
                                       "landlord_phone": "13803710001", "state": "rented"})
    rental = Rental.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/rentals/{rental.pk}/"
    # The same house twice: sent to the existing rental, and the service refuses a second one.
    again = client.get(f"/rentals/new/?household={district.household_a102.pk}")
    assert again.status_code == 302 and again["Location"] == f"/rentals/{rental.pk}/"
    with pytest.raises(ValidationError) as exc:
        rentals.register_rental({"household": district.household_a102, "landlord_name": "陈静",
                                 "landlord_phone": "13803710001"}, user=users.worker_a)
    assert exc.value.message_dict["household"] == ["该房屋已登记为出租屋"]
    # A household of another community is out of reach.
    assert client.get(f"/rentals/new/?household={district.household_b.pk}").status_code == 404


def test_the_api_lists_the_rentals_of_the_workers_community_only(rental_a, rental_b, users, client_for):
    rows = client_for(users.worker_a).get("/api/rentals/").json()["results"]
    assert [r["id"] for r in rows] == [rental_a.pk]


def test_a_tenant_moves_in_by_identity_number_and_becomes_a_floating_tenant(
        rental_a, district, users, client_for, make_person, new_resident_id):
    number = new_resident_id("1995-02-03")
    newcomer = make_person("周小川", district.community_a, number=number, by=users.worker_a)
    assert newcomer.household is None and newcomer.residency == Residency.PERMANENT
    client = client_for(users.worker_a)
    response = client.post(f"/rentals/{rental_a.pk}/tenants/", {
        "id_type": "resident_id", "id_number": number.lower(), "moved_in": days_ago(3).isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    tenancy = Tenancy.objects.get()
    newcomer.refresh_from_db()
    assert (tenancy.person, tenancy.rental, tenancy.moved_in) == (newcomer, rental_a, days_ago(3))
    assert newcomer.household == district.household_a101
    assert newcomer.household_role == HouseholdRole.TENANT and newcomer.residency == Residency.FLOATING
    page = client.get(f"/rentals/{rental_a.pk}/").content.decode()
    assert "周小川" in page and number not in page and number[:4] + "*" * 10 + number[-4:] in page


def test_an_unknown_number_offers_to_register_the_person_first(rental_a, users, client_for, new_resident_id):
    response = client_for(users.worker_a).post(f"/rentals/{rental_a.pk}/tenants/", {
        "id_type": "resident_id", "id_number": new_resident_id(), "moved_in": TODAY().isoformat()})
    text = response.content.decode()
    assert "未找到该证件号码的人员" in text
    assert f"/people/new/?household={rental_a.household_id}" in text
    assert not Tenancy.objects.exists()


def test_someone_outside_the_scope_is_not_found(rental_a, district, users, client_for):
    response = client_for(users.worker_a).post(f"/rentals/{rental_a.pk}/tenants/", {
        "id_type": "resident_id", "id_number": district.numbers["b"], "moved_in": TODAY().isoformat()})
    assert "未找到该证件号码的人员" in response.content.decode()
    with pytest.raises(ValidationError) as exc:
        rentals.move_in(rental_a, district.person_b, TODAY(), user=users.worker_a)
    assert "person" in exc.value.message_dict
    assert not Tenancy.objects.exists()


def test_a_tenant_still_living_elsewhere_is_refused(district, users, make_person):
    first = rentals.register_rental({"household": district.household_a101, "landlord_name": "张甲",
                                     "landlord_phone": "13900000001"}, user=users.worker_a)
    second = rentals.register_rental({"household": district.household_a2_101, "landlord_name": "李乙",
                                      "landlord_phone": "13900000002"}, user=users.worker_a)
    person = make_person("钱多多", district.community_a, by=users.worker_a)
    rentals.move_in(first, person, days_ago(10), user=users.worker_a)
    with pytest.raises(ValidationError) as exc:
        rentals.move_in(second, person, days_ago(1), user=users.worker_a)
    assert "仍登记住在 幸福里小区1号楼1单元101" in exc.value.message_dict["person"][0]
    assert Tenancy.objects.filter(rental=second).count() == 0
    tenancy = Tenancy.objects.get(rental=first)
    rentals.move_out(tenancy, days_ago(2), user=users.worker_a)
    rentals.move_in(second, person, days_ago(1), user=users.worker_a)
    person.refresh_from_db()
    assert person.household == district.household_a2_101


def test_move_out_before_move_in_is_refused_and_changes_nothing(rental_a, district, users, client_for, make_person):
    person = make_person("孙丽", district.community_a, by=users.worker_a)
    tenancy = rentals.move_in(rental_a, person, days_ago(5), user=users.worker_a)
    person.refresh_from_db()
    before = (person.household_id, person.household_role, person.residency)
    client = client_for(users.worker_a)
    events = AuditEvent.objects.count()
    response = client.post(f"/rentals/{rental_a.pk}/tenants/{tenancy.pk}/move-out/", {
        f"t{tenancy.pk}-moved_out": days_ago(6).isoformat()})
    assert response.status_code == 400
    assert f"搬离日期不能早于入住日期（{days_ago(5).isoformat()}）" in response.content.decode()
    tenancy.refresh_from_db()
    person.refresh_from_db()
    assert tenancy.moved_out is None
    assert (person.household_id, person.household_role, person.residency) == before
    assert AuditEvent.objects.count() == events
    # A future date is refused too; the right date is accepted and the person leaves the household.
    with pytest.raises(ValidationError):
        rentals.move_out(tenancy, rentals.today() + datetime.timedelta(days=1), user=users.worker_a)
    ok = client.post(f"/rentals/{rental_a.pk}/tenants/{tenancy.pk}/move-out/", {
        f"t{tenancy.pk}-moved_out": days_ago(1).isoformat()})
    assert ok.status_code == 302
    tenancy.refresh_from_db()
    person.refresh_from_db()
    assert tenancy.moved_out == days_ago(1) and person.household is None and person.household_role == ""
    with pytest.raises(ValidationError) as exc:
        rentals.move_out(tenancy, days_ago(0), user=users.worker_a)
    assert "已于" in exc.value.message_dict["moved_out"][0]


def test_a_fake_pdf_is_refused(rental_a, users, client_for):
    client = client_for(users.worker_a)
    fake = SimpleUploadedFile("承诺书.pdf", b"MZ\x90\x00 this is an exe", content_type="application/pdf")
    response = client.post(f"/rentals/{rental_a.pk}/letter/upload/", {
        "letter": fake, "letter_signed_on": TODAY().isoformat()})
    assert response.status_code == 400
    assert "承诺书只能是照片（JPG、PNG）或 PDF 文件" in response.content.decode()
    rental_a.refresh_from_db()
    assert not rental_a.letter and rental_a.letter_signed_on is None


def test_an_oversized_letter_is_refused(rental_a, users, settings):
    settings.FANGKONG_MAX_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("scan.png", PNG + b"\x00" * 2048, content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        rentals.attach_letter(rental_a, big, TODAY(), user=users.worker_a)
    assert "文件太大" in exc.value.message_dict["letter"][0]
    rental_a.refresh_from_db()
    assert not rental_a.letter


def test_letter_upload_and_audited_download(rental_a, rental_b, users, client_for):
    client = client_for(users.grid_worker)
    upload = SimpleUploadedFile("IMG_0001.jpg", PNG, content_type="image/jpeg")  # the name lies, the bytes decide
    response = client.post(f"/rentals/{rental_a.pk}/letter/upload/", {
        "letter": upload, "letter_signed_on": days_ago(1).isoformat()})
    assert response.status_code == 302
    rental_a.refresh_from_db()
    assert rental_a.letter.name.endswith(".png") and "IMG_0001" not in rental_a.letter.name
    assert rental_a.letter_signed_on == days_ago(1)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()

    download = client.get(f"/rentals/{rental_a.pk}/letter/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor, event.object_type, event.object_id) == (users.grid_worker, "people.Rental", str(rental_a.pk))
    # Another community's worker cannot read it, and that attempt reads nothing.
    assert client_for(users.worker_b).get(f"/rentals/{rental_a.pk}/letter/").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == 1
    # A PDF replaces the picture (the old file goes after commit: see the next test).
    storage = rental_a.letter.storage
    rentals.attach_letter(rental_a, SimpleUploadedFile("x.pdf", PDF), TODAY(), user=users.worker_a)
    rental_a.refresh_from_db()
    assert rental_a.letter.name.endswith(".pdf")
    assert storage.exists(rental_a.letter.name)


@pytest.mark.django_db(transaction=True)
def test_replacing_a_letter_deletes_the_old_file_after_commit(district, users):
    rental = rentals.register_rental({"household": district.household_a101, "landlord_name": "刘德明",
                                      "landlord_phone": "13903715678"}, user=users.worker_a)
    rentals.attach_letter(rental, SimpleUploadedFile("a.png", PNG), TODAY(), user=users.worker_a)
    old = rental.letter.name
    rentals.attach_letter(rental, SimpleUploadedFile("b.pdf", PDF), TODAY(), user=users.worker_a)
    storage = rental.letter.storage
    assert not storage.exists(old) and storage.exists(rental.letter.name)


needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils reads the PDF back")


@needs_pdftotext
def test_generated_letter_pdf_names_the_landlord_and_the_address(rental_a, users, client_for, tmp_path):
    response = client_for(users.grid_worker).get(f"/rentals/{rental_a.pk}/letter.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "出租房屋疫情防控承诺书" in flat
    assert "刘德明" in flat
    assert "幸福里小区1号楼1单元101" in flat
    assert "24小时内" in flat and "发热" in flat and "承诺人（签字）" in flat
    assert "13903715678" not in flat and "139****5678" in flat
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M) and "595.276 x 841.89" in pages  # one A4 page


def test_list_filters_and_counts(district, users, client_for, make_person):
    let_with_tenant = rentals.register_rental({"household": district.household_a101, "landlord_name": "张甲",
                                               "landlord_phone": "13900000001"}, user=users.worker_a)
    rentals.register_rental({"household": district.household_a102, "landlord_name": "李乙",
                                          "landlord_phone": "13900000002"}, user=users.worker_a)
    vacant = rentals.register_rental({"household": district.household_a2_101, "landlord_name": "王丙",
                                      "landlord_phone": "13900000003", "state": "vacant"}, user=users.worker_a)
    left = rentals.register_rental({"household": district.household_c, "landlord_name": "赵丁",
                                    "landlord_phone": "13900000004"}, user=users.officer)
    rentals.move_in(let_with_tenant, make_person("租客一", district.community_a, by=users.worker_a), days_ago(3),
                    user=users.worker_a)
    tenancy = rentals.move_in(left, make_person("租客二", district.community_c, by=users.officer), days_ago(9),
                              user=users.officer)
    rentals.move_out(tenancy, days_ago(1), user=users.officer)  # rented, but its only tenant has left
    rentals.attach_letter(let_with_tenant, SimpleUploadedFile("a.pdf", PDF), TODAY(), user=users.worker_a)

    assert rentals.counts(users.officer) == {"total": 4, "no_letter": 3, "unregistered": 2, "vacant": 1}
    assert rentals.counts(users.worker_a) == {"total": 3, "no_letter": 2, "unregistered": 1, "vacant": 1}

    def listed(client, query=""):
        response = client.get(f"/rentals/?{query}")
        assert response.status_code == 200
        return {r.household.address for r in response.context["page_obj"]}

    officer = client_for(users.officer)
    assert listed(officer) == {"幸福里小区1号楼1单元101", "幸福里小区1号楼1单元102", "幸福里小区2号楼1单元101",
                               "新华路8号院3号"}
    assert listed(officer, "filter=no_letter") == {
        "幸福里小区1号楼1单元102", "幸福里小区2号楼1单元101", "新华路8号院3号"}
    assert listed(officer, "filter=unregistered") == {"幸福里小区1号楼1单元102", "新华路8号院3号"}
    assert listed(officer, "filter=vacant") == {"幸福里小区2号楼1单元101"}
    assert listed(officer, "q=新华路") == {"新华路8号院3号"}
    assert listed(officer, "q=1号楼&filter=unregistered") == {"幸福里小区1号楼1单元102"}
    page = officer.get("/rentals/").content.decode()
    assert "共 4 处" in page
    # The grid worker (第一网格) sees only the two flats of 1号楼.
    assert listed(client_for(users.grid_worker)) == {"幸福里小区1号楼1单元101", "幸福里小区1号楼1单元102"}

    api = client_for(users.officer)
    data = api.get("/api/rentals/?unregistered=true").json()
    assert {r["address"] for r in data["results"]} == {"幸福里小区1号楼1单元102", "新华路8号院3号"}
    assert {r["address"] for r in api.get("/api/rentals/?no_letter=true&state=vacant").json()["results"]} == {
        "幸福里小区2号楼1单元101"}
    assert vacant.pk in {r["id"] for r in api.get("/api/rentals/?state=vacant").json()["results"]}


def test_api_create_detail_and_chinese_errors(district, users, client_for, make_person):
    client = client_for(users.worker_a)
    bad = client.post("/api/rentals/", {"household": district.household_a101.pk, "landlord_name": "",
                                        "landlord_phone": "123"}, content_type="application/json")
    assert bad.status_code == 400
    body = bad.json()
    assert "手机号码应为11位" in body["landlord_phone"][0]
    assert not Rental.objects.exists()
    out_of_scope = client.post("/api/rentals/", {"household": district.household_b.pk, "landlord_name": "某某",
                                                 "landlord_phone": "13900000009"}, content_type="application/json")
    assert out_of_scope.status_code == 400 and not Rental.objects.exists()
    created = client.post("/api/rentals/", {"household": district.household_a101.pk, "landlord_name": "刘德明",
                                            "landlord_phone": "13903715678"}, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["landlord_phone_masked"] == "139****5678" and "landlord_phone" not in data
    assert data["has_letter"] is False and data["current_tenants"] == 0
    rental = Rental.objects.get(pk=data["id"])
    person = make_person("周小川", district.community_a, by=users.worker_a)
    rentals.move_in(rental, person, days_ago(2), user=users.worker_a)
    detail = client.get(f"/api/rentals/{rental.pk}/").json()
    assert detail["current_tenants"] == 1
    [tenancy] = detail["tenancies"]
    assert tenancy["name"] == "周小川" and tenancy["moved_out"] is None
    assert tenancy["id_number_masked"] == person.id_number_masked
    assert "13903715678" not in str(detail)
    # A leader reads, but may not create.
    assert client_for(users.leader).get("/api/rentals/").status_code == 200
    denied = client_for(users.leader).post("/api/rentals/", {"household": district.household_a102.pk,
                                                             "landlord_name": "某某", "landlord_phone": "13900000009"},
                                           content_type="application/json")
    assert denied.status_code == 403


def test_list_query_count_does_not_grow(district, users, client_for, django_assert_max_num_queries):
    for household in (district.household_a101, district.household_a102, district.household_a2_101):
        rentals.register_rental({"household": household, "landlord_name": "张甲", "landlord_phone": "13900000001"},
                                user=users.worker_a)
    client = client_for(users.worker_a)
    client.get("/rentals/")
    with django_assert_max_num_queries(12):
        assert client.get("/rentals/").status_code == 200


def test_person_unchanged_when_not_living_in_the_rental_household(district, users, rental_a):
    """Someone with a home of their own in the district keeps it; only the tenancy is recorded."""
    person = district.person_a_neighbour
    rentals.move_in(rental_a, person, days_ago(1), user=users.worker_a)
    person = Person.objects.get(pk=person.pk)
    assert person.household == district.household_a102 and person.household_role == ""
