"""Territory import from xlsx: the template's header, all-or-nothing, row-numbered errors, safe uploads."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.http import content_disposition_header

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core import imports
from fangkong.core.models import ImportJob, JobStatus
from fangkong.territory.models import Area, Building, Compound, Grid, Household, Unit

MODELS = {"areas": Area, "grids": Grid, "compounds": Compound, "buildings": Building, "units": Unit,
          "households": Household}


def counts():
    return {key: model.objects.count() for key, model in MODELS.items()}


@pytest.fixture
def header(users, client_for, xlsx):
    """The header row of the template that the import page offers for download."""
    response = client_for(users.admin).get("/territory/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == content_disposition_header(True, "辖区导入模板.xlsx")
    rows = xlsx.rows(response.content)
    assert len(rows) > 1  # example rows below the header
    return list(rows[0])


@pytest.fixture
def run_import(client_for, xlsx, django_capture_on_commit_callbacks):
    """Upload through the page as `user`; the job runs (eagerly) when the request's transaction commits."""

    def run(user, upload):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/territory/import/", {"file": upload})
        return response

    return run


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[-2000:]
    job = ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
    assert response["Location"] == f"/imports/{job.pk}/"
    return job


def test_the_template_header_names_every_column(header):
    assert header == ["区", "街道/镇", "社区/村", "网格", "小区/楼院", "楼栋", "单元", "门牌/房号", "楼层", "地址"]


def good_rows():
    rows = []
    for building in ("1号楼", "2号楼"):
        for unit in ("1单元", "2单元"):
            for room in ("101", "102", "201"):
                rows.append(["测试区", "东风街道", "金桥社区", "金桥一网格", "金桥花园", building, unit, room,
                             int(room[0]), ""])
    rows.append(["测试区", "文化路街道", "王寨村", "王寨一组", "", "", "", "", "", "王寨村一组5号"])
    rows.append(["测试区", "文化路街道", "马头岗村", "", "", "", "", "", "", ""])
    rows.append([None] * 10)  # a blank row is skipped
    return rows


def test_a_valid_file_imports_the_territory_and_again_creates_nothing(district, users, header, xlsx, run_import,
                                                                      client_for):
    before = counts()
    job = job_of(run_import(users.admin, xlsx.upload([header, *good_rows()])))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.errors
    assert (job.total_rows, job.processed_rows, job.errors) == (14, 14, [])
    after = counts()
    assert {key: after[key] - before[key] for key in MODELS} == {
        "areas": 3, "grids": 2, "compounds": 1, "buildings": 2, "units": 4, "households": 13}
    assert sorted(job.summary.values()) == sorted([3, 2, 1, 2, 4, 13])

    jinqiao = Area.objects.get(name="金桥社区")
    assert (jinqiao.level, jinqiao.parent) == ("community", district.subdistrict)
    assert jinqiao.path == f"{district.subdistrict.path}{jinqiao.pk}/"
    room = Household.objects.get(unit__building__name="2号楼", unit__name="1单元", room="201")
    assert (room.area, room.floor, room.grid.name, room.address) == (jinqiao, 2, "金桥一网格", "金桥花园2号楼1单元201")
    village = Household.objects.get(address="王寨村一组5号")
    assert (village.area.name, village.unit, village.grid.name) == ("王寨村", None, "王寨一组")
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert (event.actor, event.object_id, event.changes["rows"]) == (users.admin, str(job.pk), 14)
    # The rows the import created are on the importer's account, not "system".
    assert set(AuditEvent.objects.filter(action="create", object_type="territory.Area")
               .exclude(object_id__in=[str(a.pk) for a in [district.district, district.subdistrict,
                                                          district.subdistrict2, district.community_a,
                                                          district.community_b, district.community_c]])
               .values_list("actor_name", flat=True)) == {"district_admin"}

    page = client_for(users.admin).get(job.get_absolute_url()).content.decode()
    assert "导入成功" in page and "已完成" in page

    again = job_of(run_import(users.admin, xlsx.upload([header, *good_rows()])))
    again.refresh_from_db()
    assert again.status == JobStatus.DONE
    assert counts() == after
    assert set(again.summary.values()) == {0}


def big_rows(bad_at, bad):
    """2,000 households of 大楼小区 (10 buildings × 4 units × 50 rooms), one of them replaced by `bad`."""
    rows = [["测试区", "东风街道", "幸福里社区", "第一网格", "大楼小区", f"{b}号楼", f"{u}单元", f"{f}{r:02d}", f, ""]
            for b in range(1, 11) for u in range(1, 5) for f in range(1, 11) for r in range(1, 6)]
    assert len(rows) == 2000
    rows[bad_at] = bad
    return rows


BAD_ROWS = {
    "floor is not a number": (["测试区", "东风街道", "幸福里社区", "", "大楼小区", "1号楼", "1单元", "999", "abc", ""],
                              "楼层", "楼层应为 -5 到 200 之间的整数"),
    "building without compound": (["测试区", "东风街道", "幸福里社区", "", "", "1号楼", "1单元", "999", 9, ""],
                                  "小区/楼院", "填写了“楼栋”，必须先填写“小区/楼院”"),
    "unknown district": (["别的区", "东风街道", "幸福里社区", "", "大楼小区", "1号楼", "1单元", "999", 9, ""],
                         "区", "区“别的区”与系统中的区不一致"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_one_bad_row_among_2000_imports_nothing_and_is_reported_by_row(district, users, header, xlsx, run_import,
                                                                       client_for, case):
    bad, column, message = BAD_ROWS[case]
    before = counts()
    job = job_of(run_import(users.admin, xlsx.upload([header, *big_rows(1500, bad)])))
    job.refresh_from_db()
    # Row 1 is the header, so the 1,501st data row is Excel row 1502.
    assert job.status == JobStatus.FAILED
    assert job.errors == [[1502, column, message]]
    assert job.total_rows == 2000
    assert counts() == before
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORT).exists()

    client = client_for(users.admin)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "第 1502 行" in page and message in page and "没有导入任何数据" in page
    report = client.get(f"/imports/{job.pk}/errors.xlsx")
    assert report["Content-Disposition"] == content_disposition_header(True, f"导入错误-{job.pk}.xlsx")
    assert xlsx.rows(report.content) == [["行号", "列", "错误"], [1502, column, message]]


def test_many_errors_are_all_listed(district, users, header, xlsx, run_import):
    rows = big_rows(0, BAD_ROWS["floor is not a number"][0])[:50]
    for i in (10, 20, 30):
        rows[i] = [*rows[i][:8], "二楼", ""]
    rows[40] = rows[41]  # the same household twice
    job = job_of(run_import(users.admin, xlsx.upload([header, *rows])))
    job.refresh_from_db()
    assert [error[0] for error in job.errors] == [2, 12, 22, 32, 43]
    assert job.errors[-1] == [43, "门牌/房号", "与第 42 行是同一户"]


def test_a_file_without_the_template_columns_is_refused(district, users, xlsx, run_import):
    job = job_of(run_import(users.admin, xlsx.upload([["区", "社区"], ["测试区", "幸福里社区"]])))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    [[row, column, message]] = job.errors
    assert row == 1 and "街道/镇" in column and message.startswith("缺少列：") and message.endswith("请使用下载的模板")


def test_a_file_with_only_a_header_is_refused(district, users, header, xlsx, run_import):
    job = job_of(run_import(users.admin, xlsx.upload([header])))
    job.refresh_from_db()
    assert (job.status, job.errors) == (JobStatus.FAILED, [[0, "", "文件中没有数据行"]])


def test_a_community_outside_the_importers_scope_is_refused(district, users, header, xlsx, run_import):
    before = counts()
    rows = [["测试区", "东风街道", "幸福里社区", "", "", "", "", "", "", "幸福里平房1号"],
            ["测试区", "文化路街道", "李庄村", "", "", "", "", "", "", "李庄村一组99号"],
            ["测试区", "文化路街道", "新村", "", "", "", "", "", "", ""]]
    job = job_of(run_import(users.officer, xlsx.upload([header, *rows])))  # officer of 东风街道 only
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.errors == [[3, "街道/镇", "“文化路街道”不在您的管辖范围内"],
                          [4, "街道/镇", "“文化路街道”不在您的管辖范围内"]]
    assert counts() == before


def test_a_subdistrict_officer_imports_within_their_subdistrict(district, users, header, xlsx, run_import):
    rows = [["测试区", "东风街道", "新华社区", "", "", "", "", "", "", "新华路8号院4号"]]
    job = job_of(run_import(users.officer, xlsx.upload([header, *rows])))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.errors
    assert Household.objects.filter(area=district.community_c, address="新华路8号院4号").exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("辖区.csv", "区,街道/镇\n测试区,东风街道\n".encode(), "只能导入 Excel 文件（.xlsx），请用下载的模板填写"),
    ("辖区.xlsx", "区,街道/镇\n测试区,东风街道\n".encode(), "文件不是有效的 Excel（.xlsx）文件，可能已损坏"),
    ("辖区.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "只能导入 Excel 文件（.xlsx），请用下载的模板填写"),
])
def test_a_file_that_is_not_xlsx_is_refused_before_anything_is_stored(district, users, client_for, name, content,
                                                                      message, settings):
    response = client_for(users.admin).post("/territory/import/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not (settings.MEDIA_ROOT / "imports").exists()


def test_an_oversized_upload_is_refused(district, users, client_for, settings, xlsx, header):
    settings.FANGKONG_MAX_UPLOAD_BYTES = 1024 * 1024
    content = xlsx.build([header]) + b"\0" * (2 * 1024 * 1024)
    response = client_for(users.admin).post("/territory/import/", {"file": SimpleUploadedFile("大.xlsx", content)})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["文件太大（2 MB），最大 1 MB"]
    assert not ImportJob.objects.exists()


def test_a_zip_that_is_no_workbook_fails_with_a_readable_error(district, users, client_for, run_import):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是表格")
    job = job_of(run_import(users.admin, SimpleUploadedFile("伪装.xlsx", buffer.getvalue())))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    [[row, column, message]] = job.errors
    assert row == 0 and message.startswith("无法读取 Excel 文件")


def test_only_roles_that_may_import_see_the_page(district, users, client_for):
    assert client_for(users.admin).get("/territory/import/").status_code == 200
    assert client_for(users.officer).get("/territory/import/").status_code == 200
    for who in ("worker_a", "grid_worker", "leader"):
        assert client_for(getattr(users, who)).get("/territory/import/").status_code == 403, who


def test_a_job_is_visible_only_to_whoever_started_it(district, users, client_for, header, xlsx, run_import):
    job = job_of(run_import(users.officer, xlsx.upload([header, ["测试区", "东风街道", "新华社区"] + [""] * 7])))
    assert client_for(users.officer).get(f"/imports/{job.pk}/").status_code == 200
    assert client_for(users.admin).get(f"/imports/{job.pk}/").status_code == 404
    assert client_for(users.admin).get(f"/imports/{job.pk}/errors.xlsx").status_code == 404


def test_a_community_worker_allowed_to_import_may_not_name_a_neighbouring_community(district, users, header, xlsx,
                                                                                     run_import):
    worker = users.worker_a
    worker.user_permissions.add(Permission.objects.get(codename="import_territory"))
    before = counts()
    rows = [["测试区", "东风街道", "幸福里社区", "", "", "", "", "", "", "幸福里平房2号"],
            ["测试区", "东风街道", "新华社区", "", "", "", "", "", "", "新华路8号院5号"],
            ["测试区", "东风街道", "另建社区", "", "", "", "", "", "", ""]]
    job = job_of(run_import(worker, xlsx.upload([header, *rows])))
    job.refresh_from_db()
    assert job.errors == [[3, "社区/村", "“新华社区”不在您的管辖范围内"],
                          [4, "社区/村", "“另建社区”不在您的管辖范围内"]]
    assert counts() == before
    # Their own community alone imports.
    job = job_of(run_import(worker, xlsx.upload([header, rows[0]])))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert Household.objects.filter(area=district.community_a, address="幸福里平房2号").exists()


def test_the_job_page_polls_until_the_job_has_finished(district, users, client_for, header, xlsx):
    # Outside a committed transaction the job is only queued: the page shows it waiting.
    job = imports.start_import("territory", xlsx.upload([header, ["测试区", "东风街道", "新华社区"] + [""] * 7]),
                               users.admin)
    client = client_for(users.admin)
    pending = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in pending and "排队中" in pending and "<html" not in pending
    imports.run(job)
    done = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "导入成功" in done


def test_a_template_downloaded_in_english_imports_too(district, users, client_for, xlsx, run_import):
    """The worker that runs the import speaks the default language; the header may be in the user's."""
    client = client_for(users.admin)
    client.post("/i18n/setlang/", {"language": "en"})
    header = list(xlsx.rows(client.get("/territory/import/template.xlsx").content)[0])
    assert header[0] != "区"  # translated
    before = Household.objects.count()
    job = job_of(run_import(users.admin, xlsx.upload([header] + good_rows())))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.errors
    assert Household.objects.count() == before + 13


def test_a_title_row_and_a_blank_row_above_the_header_are_skipped(district, users, header, xlsx, run_import):
    rows = [["东风街道辖区住户登记表（2022年3月）"], [None] * 10, header,
            ["测试区", "东风街道", "金桥社区", "", "金桥花园", "1号楼", "1单元", "101", 1, ""],
            ["测试区", "东风街道", "金桥社区", "", "金桥花园", "1号楼", "1单元", "102", "一楼", ""]]
    job = job_of(run_import(users.admin, xlsx.upload(rows)))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.total_rows == 2
    assert job.errors == [[5, "楼层", "楼层应为 -5 到 200 之间的整数"]]  # numbered as Excel numbers the rows
    rows[-1][-2] = 1
    job = job_of(run_import(users.admin, xlsx.upload(rows)))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.errors
    assert Household.objects.filter(area__name="金桥社区").count() == 2
