"""Export of isolation orders as xlsx through the one export pipeline: the list's filters, scope, masking, audit;
the file read back."""

from django.contrib.auth.models import Permission

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.identity import mask_document
from fangkong.core.models import ExportJob
from tests.conftest import export_through_page
from tests.isolation.conftest import isolate

HEADER = ["姓名", "证件号码", "隔离类型", "状态", "来源", "隔离原因", "社区/村", "开始日期", "计划解除日期", "解除日期",
          "隔离点", "房间", "责任人"]


def orders_of(rows):
    assert rows[0] == HEADER
    return [row for row in rows[1:] if row and row[0] and not str(row[0]).startswith("导出人")]


def test_the_list_exports_as_filtered_scoped_and_audited(district, users, client_for, xlsx):
    home = isolate(district.person_a, users.worker_a, reason="密接")
    isolate(district.person_a_neighbour, users.worker_a, kind="home_monitoring")
    isolate(district.person_b, users.worker_b)
    rows = xlsx.rows(export_through_page(client_for(users.worker_a), "/isolation/export/", {"kind": "home"}))
    assert orders_of(rows) == [["王秀英", district.numbers["a"], "居家隔离", "隔离中", "排查发现", "密接", "幸福里社区",
                                str(home.start), str(home.planned_end), None, None, None, "社区工作人员甲"]]
    assert "居家隔离" in rows[-1][0] and "共 1 条" in rows[-1][0]
    everything = orders_of(xlsx.rows(export_through_page(client_for(users.worker_a), "/isolation/export/", {})))
    assert sorted(row[0] for row in everything) == ["王志强", "王秀英"]  # not the other community's
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("id").first()
    assert (event.actor, event.object_type, event.changes["rows"]) == (users.worker_a, "isolation.IsolationOrder", 1)
    assert event.changes["filters"]["kind"] == "home" and ExportJob.objects.filter(kind="isolations").count() == 2


def test_a_role_without_full_numbers_exports_them_masked_and_a_leader_not_at_all(district, users, client_for, xlsx):
    isolate(district.person_a, users.worker_a)
    clerk = users.grid_worker
    clerk.user_permissions.add(Permission.objects.get(codename="export_person"))
    [row] = orders_of(xlsx.rows(export_through_page(client_for(clerk), "/isolation/export/", {})))
    assert row[1] == mask_document(district.numbers["a"])
    assert client_for(users.leader).post("/isolation/export/").status_code == 403


def test_the_list_page_offers_the_export_with_its_filters(district, users, client_for):
    html = client_for(users.worker_a).get("/isolation/", {"kind": "home"}).content.decode()
    assert 'id="export-form"' in html and 'name="kind" value="home"' in html
