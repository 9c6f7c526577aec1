"""Place import from a real xlsx: the template, all-or-nothing, row errors in Chinese, scope, approval."""

import io

import pytest
from django.contrib.auth.models import Group, Permission

from fangkong.accounts.models import User
from fangkong.core import crypto
from fangkong.core.models import ImportJob, JobStatus
from fangkong.passes.models import Place, PlaceKind, PlaceState
from fangkong.territory.models import Area, AreaLevel

HEADER = ["名称", "类型", "社区/村", "地址", "联系人", "联系电话", "测量体温", "登记出口"]


def row(name="幸福里小区北门", kind="小区门岗", community="幸福里社区", address="文化路12号", contact="王建军",
        phone="13903710001", temperature="是", exit_="是"):
    return [name, kind, community, address, contact, phone, temperature, exit_]


@pytest.fixture
def run_import(client_for, xlsx, django_capture_on_commit_callbacks):
    """Upload through the page as `user`; the job runs (eagerly) when the request's transaction commits."""

    def run(user, rows, header=HEADER) -> ImportJob:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/places/import/", {"file": xlsx.upload([header, *rows], "场所.xlsx")})
        assert response.status_code == 302, response.content.decode()[-2000:]
        job = ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
        assert job.kind == "places"
        return job

    return run


def test_the_template_imports_as_it_is(users, client_for, xlsx, district, django_capture_on_commit_callbacks):
    client = client_for(users.officer)
    response = client.get("/places/import/template.xlsx")
    assert response.status_code == 200
    rows = xlsx.rows(response.content)
    assert list(rows[0]) == HEADER
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/places/import/", {"file": xlsx.upload(rows, "模板.xlsx")})
    job = ImportJob.objects.get()
    assert job.status == JobStatus.DONE, job.errors
    assert Place.objects.filter(area=district.community_a, state=PlaceState.APPROVED).count() == 2


def test_an_officer_imports_approved_places(users, district, run_import, client_for):
    job = run_import(users.officer, [
        row(),
        row("好又多超市", "公共场所", "新华社区", "新华路1号", "李娟", "0371 6688 1234", "否", ""),
    ])
    assert job.status == JobStatus.DONE, job.errors
    gate, shop = Place.objects.get(name="幸福里小区北门"), Place.objects.get(name="好又多超市")
    assert gate.state == shop.state == PlaceState.APPROVED and gate.decided_by == users.officer
    assert (gate.kind, gate.area, gate.measures_temperature, gate.records_exit) == (
        PlaceKind.COMPOUND_GATE, district.community_a, True, True)
    assert (shop.kind, shop.area, shop.measures_temperature, shop.records_exit) == (
        PlaceKind.VENUE, district.community_c, False, False)
    assert crypto.decrypt(shop.contact_phone_encrypted) == "0371-66881234"
    assert gate.code != shop.code and len(gate.code) >= 22
    status = client_for(users.officer).get(f"/imports/{job.pk}/").content.decode()
    assert "导入成功" in status and "新建场所（已启用）: 2" in status


def test_any_bad_row_imports_nothing_and_every_error_is_listed(users, district, run_import):
    job = run_import(users.officer, [
        row(),                                              # row 2: fine
        row("", kind="超市"),                               # row 3: no name, unknown kind
        row("李庄村卡点", community="李庄村"),              # row 4: another subdistrict
        row("东门", phone="12345", temperature="可能"),      # row 5: bad phone, bad yes/no
        row(),                                              # row 6: same as row 2
        row("南门", community="没有这个社区"),              # row 7: unknown community
    ])
    assert job.status == JobStatus.FAILED
    errors = {(number, column): message for number, column, message in job.errors}
    assert errors[(3, "名称")] == "不能为空"
    assert errors[(3, "类型")].startswith("应为以下之一：小区门岗、卡点")
    assert errors[(4, "社区/村")] == "“李庄村”不是您管辖范围内的社区/村"
    assert "手机号码应为11位" in errors[(5, "联系电话")]
    assert errors[(5, "测量体温")] == "请填写“是”或“否”"
    assert errors[(6, "名称")] == "与第 2 行是同一个场所"
    assert errors[(7, "社区/村")] == "“没有这个社区”不是您管辖范围内的社区/村"
    assert not any(number == 2 for number, _column, _message in job.errors)
    assert not Place.objects.exists()


def test_a_missing_column_is_reported(users, run_import):
    job = run_import(users.officer, [row()[:-1]], header=HEADER[:-1])
    assert job.status == JobStatus.FAILED
    assert job.errors == [[1, "登记出口", "缺少列：登记出口。请使用下载的模板"]]


def test_existing_places_are_not_duplicated(users, district, run_import):
    run_import(users.officer, [row()])
    job = run_import(users.officer, [row(), row("幸福里小区南门")])
    assert job.status == JobStatus.DONE
    assert Place.objects.filter(name="幸福里小区北门").count() == 1
    assert job.summary == {"新建场所（已启用）": 1, "已有同名场所，未修改": 1}


def test_a_community_name_used_twice_needs_its_subdistrict(users, district, run_import):
    Area.objects.create(name="幸福里社区", level=AreaLevel.COMMUNITY, parent=district.subdistrict2)
    job = run_import(users.admin, [row()])
    assert job.status == JobStatus.FAILED
    assert "有多个“幸福里社区”，请写成“街道/社区”" in job.errors[0][2]
    job = run_import(users.admin, [row(community="东风街道/幸福里社区")])
    assert job.status == JobStatus.DONE, job.errors
    assert Place.objects.get().area == district.community_a


def test_places_imported_without_the_approval_permission_wait_for_review(district, run_import):
    clerk = User.objects.create_user("clerk", password="x-Long-enough-2020", area=district.community_a)
    group = Group.objects.create(name="登记员")
    group.permissions.set(Permission.objects.filter(content_type__app_label="passes",
                                                    codename__in=["view_place", "add_place"]))
    clerk.groups.add(group)
    job = run_import(clerk, [row()])
    assert job.status == JobStatus.DONE, job.errors
    place = Place.objects.get()
    assert place.state == PlaceState.PENDING and place.decided_by is None


def test_a_formula_in_a_name_is_kept_as_plain_text(users, client_for, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    formula = '=HYPERLINK("http://evil.example","点我")'
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row(formula))
    sheet["A2"].data_type = "s"  # typed as text, as a cell starting with ' is in Excel
    out = io.BytesIO()
    book.save(out)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users.officer).post("/places/import/", {"file": SimpleUploadedFile("场所.xlsx", out.getvalue())})
    place = Place.objects.get()
    assert place.name == formula
    page = client_for(users.officer).get(f"/places/{place.pk}/").content.decode()
    assert "=HYPERLINK(&quot;http://evil.example&quot;" in page


def test_roles_without_add_permission_cannot_import(users, client_for, xlsx):
    response = client_for(users.leader).post("/places/import/", {"file": xlsx.upload([HEADER, row()])})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_a_template_downloaded_in_english_imports_too(users, district, client_for, xlsx,
                                                      django_capture_on_commit_callbacks):
    """The worker runs in the default language; the header and 类型 may be in the user's."""
    client = client_for(users.officer)
    client.post("/i18n/setlang/", {"language": "en"})
    rows = xlsx.rows(client.get("/places/import/template.xlsx").content)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/places/import/", {"file": xlsx.upload(rows, "places.xlsx")})
    job = ImportJob.objects.get()
    assert job.status == JobStatus.DONE, job.errors
    assert Place.objects.count() == 2
