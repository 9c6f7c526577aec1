"""The export pipeline (core.exports) itself: every export is a registered kind run as a job, through the
pages and the API alike; the owner's permission is checked when the job starts and again when it runs."""

from django.contrib.auth.models import Permission

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core import exports
from fangkong.core.models import ExportJob, ExportStatus
from fangkong.core.tasks import run_export
from tests.conftest import xlsx_rows


def test_every_export_of_the_system_is_a_kind_of_the_one_pipeline():
    assert set(exports.KINDS) == {"passages", "persons", "overrides", "daily_reports", "isolations", "risk_places",
                                  "trace_report"}
    assert {str(kind.title) for kind in exports.KINDS.values()} == {
        "出入记录", "人员", "人工赋码", "重点人员日报", "隔离人员", "风险场所", "流调报告"}


def test_the_api_exports_any_kind_within_the_users_scope(
        district, users, client_for, django_capture_on_commit_callbacks):
    client = client_for(users.worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/exports/", {"kind": "persons"}, content_type="application/json")
    assert response.status_code == 202, response.content
    job = client.get(f"/api/exports/{response.json()['id']}/").json()
    assert job["kind"] == "persons" and job["status"] == "done" and job["processed_rows"] == 3
    rows = xlsx_rows(b"".join(client.get(f"/api/exports/{job['id']}/download/").streaming_content))
    assert sorted(row[0] for row in rows[1:4]) == sorted(p.name for p in district.persons_a)
    assert [job["id"]] == [j["id"] for j in client.get("/api/exports/").json()["results"]]
    assert client_for(users.worker_b).get("/api/exports/").json()["results"] == []
    assert client_for(users.worker_b).get(f"/api/exports/{job['id']}/download/").status_code == 404


def test_the_api_refuses_an_unknown_kind_and_a_kind_the_role_may_not_export(district, users, client_for):
    unknown = client_for(users.worker_a).post("/api/exports/", {"kind": "secrets"}, content_type="application/json")
    assert unknown.status_code == 400 and "没有这种导出" in unknown.content.decode()
    refused = client_for(users.leader).post("/api/exports/", {"kind": "persons"}, content_type="application/json")
    assert refused.status_code == 403
    assert not ExportJob.objects.exists()


def test_a_job_whose_owner_lost_the_permission_before_it_ran_writes_nothing(district, users, client_for):
    clerk = users.grid_worker
    clerk.user_permissions.add(Permission.objects.get(codename="export_person"))
    response = client_for(clerk).post("/people/export/")
    job = ExportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
    clerk.user_permissions.clear()
    run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and "没有导出人员的权限" in job.error and not job.file
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    assert client_for(clerk).get(f"/exports/{job.pk}/download/").status_code == 404
    assert "导出失败" in client_for(clerk).get(f"/exports/{job.pk}/").content.decode()


def test_a_job_delivered_twice_runs_once(district, users, client_for):
    response = client_for(users.worker_a).post("/people/export/")
    job_id = int(response["Location"].strip("/").split("/")[-1])
    run_export(job_id)
    run_export(job_id)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == 1
