"""Exports of passage searches: background jobs, real xlsx files read back, masking, formula safety, retention."""

import io
import os
import re
from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone
from office_helpers import make_place, many_passages, passage, staff_user
from openpyxl import load_workbook

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.models import ExportJob, ExportStatus
from fangkong.core.tasks import run_export
from fangkong.territory.models import Area, AreaLevel
from tests.conftest import stored_before_names_were_checked

ROWS = 10_000
INJECTION = '=HYPERLINK("x")'


def read(content: bytes):
    """The rows of an export; none of its cells is a formula, whatever the text (an xlsx string cell never is)."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows()]
    assert not [cell.coordinate for row in rows for cell in row if cell.data_type == "f"]
    return [[cell.value for cell in row] for row in rows]


def masked_exporter(area):
    """A community worker whose role may export but not see full numbers (an admin can set roles up so)."""
    group, _created = Group.objects.get_or_create(name="export_only")
    group.permissions.set(Permission.objects.filter(
        content_type__app_label="passes", codename__in=["view_passage", "export_passage", "view_place"]))
    user = staff_user("export_only", Role.LEADER, area)
    user.groups.set([group])
    return user


def export(client, params, capture):
    with capture(execute=True):
        response = client.post("/passages/export/", params)
    assert response.status_code == 302, response.content.decode()[:500]
    job = ExportJob.objects.order_by("-pk").first()
    assert response["Location"] == f"/exports/{job.pk}/"
    return job


def test_ten_thousand_passages_export_masked_and_formula_safe(
        district, users, client_for, gate, make_person, django_capture_on_commit_callbacks):
    trick = stored_before_names_were_checked(INJECTION, district.community_a)
    persons = [district.person_a, district.person_a_neighbour, trick]
    many_passages(persons, gate, ROWS)
    # Passages in B are outside the exporter's scope and must not appear.
    many_passages([district.person_b], make_place(district.community_b, "李庄村口"), 50)
    exporter = masked_exporter(district.community_a)
    client = client_for(exporter)
    job = export(client, {"place": "", "area": district.community_a.pk}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    assert (job.total_rows, job.processed_rows) == (ROWS, ROWS)
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "已完成" in page and f"/exports/{job.pk}/download/" in page and "hx-get" not in page
    download = client.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    rows = read(b"".join(download.streaming_content))
    header, body = rows[0], [row for row in rows[1:ROWS + 1]]
    assert header[:6] == ["时间", "场所", "社区/村", "姓名", "证件类型", "证件号码"]
    assert len(body) == ROWS and all(row[1] == "幸福里小区北门" for row in body)
    assert "共 10000 条" in rows[-1][0]
    numbers = {row[5] for row in body}
    number = district.numbers["a"]
    assert number[:4] + "*" * 10 + number[-4:] in numbers
    assert not any(value in numbers for value in (number, district.numbers["a_neighbour"], trick.id_number))
    names = {row[3] for row in body}
    assert names == {"王秀英", "王志强", INJECTION}
    assert sum(1 for row in body if row[8] == "提醒") == ROWS // 10
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, actor=exporter)
    assert event.changes["rows"] == ROWS and event.changes["filters"]["full_numbers"] is False


def test_an_export_with_full_numbers_for_roles_that_may_see_them(
        district, users, client_for, gate, django_capture_on_commit_callbacks):
    passage(district.person_a, gate)
    client = client_for(users.worker_a)
    job = export(client, {}, django_capture_on_commit_callbacks)
    rows = read(b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content))
    assert rows[1][5] == district.numbers["a"]
    assert AuditEvent.objects.get(action=AuditAction.EXPORT).changes["filters"]["full_numbers"] is True


def test_an_export_by_identity_number_keeps_the_number_out_of_the_job_and_the_log(
        district, users, client_for, gate, django_capture_on_commit_callbacks):
    passage(district.person_a, gate)
    passage(district.person_a_neighbour, gate)
    number = district.numbers["a"]
    client = client_for(users.worker_a)
    job = export(client, {"q": number}, django_capture_on_commit_callbacks)
    assert job.params["persons"] == [district.person_a.pk]
    assert number not in str(job.params) and number not in job.description
    assert number[:4] + "*" * 10 + number[-4:] in job.description
    rows = read(b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content))
    assert [row[3] for row in rows[1:] if row and row[1]] == ["王秀英"]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert number not in str(event.changes)


def test_only_the_creator_may_download_and_files_expire(
        district, users, client_for, gate, settings, django_capture_on_commit_callbacks):
    passage(district.person_a, gate)
    job = export(client_for(users.worker_a), {}, django_capture_on_commit_callbacks)
    for other in (users.officer, users.admin, users.worker_b):
        assert client_for(other).get(f"/exports/{job.pk}/").status_code == 404
        assert client_for(other).get(f"/exports/{job.pk}/download/").status_code == 404
    path = job.file.path
    assert os.path.exists(path)
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.FANGKONG_EXPORT_RETENTION_HOURS + 1))
    assert client_for(users.worker_a).get(f"/exports/{job.pk}/download/").status_code == 404
    out = io.StringIO()
    call_command("purge_retention", stdout=out)
    assert "导出文件删除 1 个" in out.getvalue()
    assert not os.path.exists(path)
    job.refresh_from_db()
    assert not job.file
    assert "文件已过期删除" in client_for(users.worker_a).get(f"/exports/{job.pk}/").content.decode()


def test_export_needs_the_permission(district, users, client_for):
    assert client_for(users.leader).post("/passages/export/", {}).status_code == 403
    assert client_for(users.grid_worker).post("/passages/export/", {}).status_code == 403
    assert ExportJob.objects.count() == 0


def test_the_job_page_polls_until_done(district, users, client_for, gate):
    job = ExportJob.objects.create(kind="passages", created_by=users.worker_a, total_rows=4000, processed_rows=1000,
                                   status=ExportStatus.RUNNING)
    html = client_for(users.worker_a).get(f"/exports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html and 'aria-valuenow="25"' in html
    assert re.search(r"1,?000 / 4,?000 条", html)
    partial = client_for(users.worker_a).get(f"/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="export-status"')


# A real worker ------------------------------------------------------------------------------------

def test_ten_thousand_passages_export_through_a_real_celery_worker(celery_worker):
    from fangkong.core.identity import DocumentType, resident_id_check_char
    from fangkong.people.models import Person

    district = Area.objects.create(name="工作区", level=AreaLevel.DISTRICT)
    sub = Area.objects.create(name="工作街道", level=AreaLevel.SUBDISTRICT, parent=district)
    community = Area.objects.create(name="工作社区", level=AreaLevel.COMMUNITY, parent=sub)
    persons, numbers = [], []
    for name, first17 in (("王秀英", "11010519491231002"), (INJECTION, "11010519491231003")):
        number = first17 + resident_id_check_char(first17)
        person = Person(name=name, area=community)
        person.set_document(DocumentType.RESIDENT_ID, number)
        person.save()
        persons.append(person)
        numbers.append(number)
    gate = make_place(community, "工作小区北门")
    many_passages(persons, gate, ROWS)
    user = masked_exporter(community)
    job = ExportJob.objects.create(kind="passages", created_by=user, params={"area": community.pk})
    output = celery_worker(run_export, job.pk, job)
    assert job.status == ExportStatus.DONE, output + job.error
    assert job.processed_rows == ROWS
    with job.file.open("rb") as fh:
        rows = read(fh.read())
    body = rows[1:ROWS + 1]
    assert len(body) == ROWS and rows[ROWS + 1:] and "共 10000 条" in rows[-1][0]
    assert {row[5] for row in body} == {n[:4] + "*" * 10 + n[-4:] for n in numbers}
    assert {row[3] for row in body} == {"王秀英", INJECTION}
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=user, changes__rows=ROWS).exists()
