"""The imports API: start a job with a file, follow it, only the creator sees it, one permission per kind."""

from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.core import imports
from fangkong.core.models import ImportJob, JobStatus
from fangkong.territory.models import Area, Household

HEADER = ["区", "街道/镇", "社区/村", "网格", "小区/楼院", "楼栋", "单元", "门牌/房号", "楼层", "地址"]
ROWS = [
    ["测试区", "东风街道", "金桥社区", "金桥一网格", "金桥花园", "1号楼", "1单元", "101", 1, ""],
    ["测试区", "东风街道", "金桥社区", "金桥一网格", "金桥花园", "1号楼", "1单元", "102", 1, ""],
    ["测试区", "文化路街道", "王寨村", "", "", "", "", "", "", "王寨村一组5号"],
]


def post(client, kind, upload, capture):
    with capture(execute=True):  # the job runs (eagerly) once the request's transaction commits
        return client.post("/api/imports/", {"kind": kind, "file": upload})


def test_a_territory_import_through_the_api(district, users, client_for, xlsx, django_capture_on_commit_callbacks):
    client = client_for(users.admin)
    response = post(client, "territory", xlsx.upload([HEADER, *ROWS], "辖区.xlsx"), django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    job = ImportJob.objects.get(pk=data["id"])
    assert data["kind"] == "territory" and job.created_by == users.admin
    assert data["status_url"] == f"http://testserver/api/imports/{job.pk}/"
    assert response["Location"] == data["status_url"]
    assert data["page_url"] == f"http://testserver/imports/{job.pk}/"

    status = client.get(f"/api/imports/{job.pk}/")
    assert status.status_code == 200
    body = status.json()
    assert (body["status"], body["status_label"], body["finished"]) == (JobStatus.DONE, "已完成", True)
    assert (body["total_rows"], body["processed_rows"], body["percent"], body["errors"]) == (3, 3, 100, [])
    assert Area.objects.filter(name="金桥社区", parent=district.subdistrict).exists()
    assert Household.objects.filter(room="102", area__name="金桥社区").exists()
    assert [j["id"] for j in client.get("/api/imports/").json()["results"]] == [job.pk]


def test_row_errors_come_back_row_by_row_and_nothing_is_saved(district, users, client_for, xlsx,
                                                             django_capture_on_commit_callbacks):
    before = Area.objects.count()
    bad = [*ROWS, ["测试区", "东风街道", "金桥社区", "", "金桥花园", "1号楼", "1单元", "301", 999, ""]]
    client = client_for(users.admin)
    response = post(client, "territory", xlsx.upload([HEADER, *bad]), django_capture_on_commit_callbacks)
    assert response.status_code == 201
    body = client.get(response.json()["status_url"]).json()
    assert body["status"] == JobStatus.FAILED and body["status_label"] == "有错误，未导入"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(5, "楼层")]
    assert "楼层" in body["errors"][0]["message"]
    assert Area.objects.count() == before


def test_another_user_does_not_see_the_job(district, users, client_for, xlsx, django_capture_on_commit_callbacks):
    response = post(client_for(users.admin), "territory", xlsx.upload([HEADER, *ROWS]),
                    django_capture_on_commit_callbacks)
    job_id = response.json()["id"]
    for other in (users.officer, users.worker_a):
        client = client_for(other)
        assert client.get(f"/api/imports/{job_id}/").status_code == 404
        assert client.get("/api/imports/").json()["results"] == []


def test_a_bad_kind_a_bad_file_and_a_missing_permission_are_refused_in_chinese(
        district, users, client_for, xlsx, django_capture_on_commit_callbacks):
    admin = client_for(users.admin)
    unknown = post(admin, "salaries", xlsx.upload([HEADER, *ROWS]), django_capture_on_commit_callbacks)
    assert unknown.status_code == 400
    assert unknown.json()["kind"][0].startswith("未知的导入类型“salaries”，可选：")
    assert "territory" in unknown.json()["kind"][0]
    # A roster names its enterprise: it starts from the enterprise's page, not here.
    roster = post(admin, "roster", xlsx.upload([HEADER, *ROWS]), django_capture_on_commit_callbacks)
    assert roster.status_code == 400 and "roster" not in roster.json()["kind"][0].split("：")[1]

    not_excel = SimpleUploadedFile("辖区.csv", "区,街道\n".encode(), "text/csv")
    refused = post(admin, "territory", not_excel, django_capture_on_commit_callbacks)
    assert refused.status_code == 400
    assert refused.json()["file"] == ["只能导入 Excel 文件（.xlsx），请用下载的模板填写"]

    missing = admin.post("/api/imports/", {"kind": "territory"})
    assert missing.status_code == 400 and "file" in missing.json()

    # A grid worker may not import the territory (the page says the same: territory.import_territory).
    denied = post(client_for(users.grid_worker), "territory", xlsx.upload([HEADER, *ROWS]),
                  django_capture_on_commit_callbacks)
    assert denied.status_code == 403
    assert denied.json()["detail"] == "您没有导入“territory”的权限"
    assert ImportJob.objects.count() == 0


# The upload page of each kind of import.
PAGES = {"territory": "/territory/import/", "places": "/places/import/", "ledger": "/people/import/",
         "assistance": "/key-persons/assistance/", "lab_results": "/testing/results/import/",
         "isolation_orders": "/isolation/import/", "enterprises": "/enterprises/import/"}


def test_each_kinds_page_lets_in_exactly_whom_the_api_lets_in(users, client_for):
    assert set(PAGES) == imports.generic_kinds() == set(imports.IMPORTERS) - {"roster"}
    for kind, page in PAGES.items():
        for user in vars(users).values():
            expected = 200 if imports.may_import(user, kind) else 403
            assert client_for(user).get(page).status_code == expected, (kind, user.username)


def test_a_community_worker_starts_an_assistance_import_through_the_api_as_on_the_page(
        district, users, client_for, xlsx, django_capture_on_commit_callbacks):
    rows = [["姓名", "证件号码", "手机号", "类别", "来源地/说明", "协查日期"],
            ["王秀英", district.numbers["a"], "", "省外返回人员", "北京市朝阳区", "2022-03-06"]]
    worker = client_for(users.worker_a)
    assert worker.get(PAGES["assistance"]).status_code == 200
    response = post(worker, "assistance", xlsx.upload(rows), django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content.decode()
    assert worker.get(response.json()["status_url"]).json()["status"] == JobStatus.DONE
    denied = post(client_for(users.grid_worker), "assistance", xlsx.upload(rows), django_capture_on_commit_callbacks)
    assert denied.status_code == 403 and client_for(users.grid_worker).get(PAGES["assistance"]).status_code == 403
    assert ImportJob.objects.count() == 1


def test_each_kind_names_the_permission_its_page_checks(users):
    assert imports.IMPORTERS["territory"].import_permission == "territory.import_territory"
    assert imports.IMPORTERS["places"].import_permission == "passes.add_place"
    assert imports.IMPORTERS["assistance"].import_permission == "screening.import_assistance"
    assert imports.may_import(users.worker_a, "places") and not imports.may_import(users.worker_a, "territory")
    assert imports.may_import(users.admin, "territory") and not imports.may_import(users.leader, "places")
    assert not imports.may_import(users.admin, "no-such-kind")


def test_anonymous_callers_get_nothing(district):
    from django.test import Client

    assert Client().post("/api/imports/", {"kind": "territory"}).status_code in (401, 403)
