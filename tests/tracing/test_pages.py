"""The tracing pages: open a trace, the workbench (visits, contacts ranked, marks, the bulk action), the community
worker's tasks, the risk places with their xlsx, the chain graph's data and the trace report."""

import datetime
import subprocess

from django.utils import timezone

from fangkong.isolation.models import IsolationOrder
from fangkong.screening.models import Category
from fangkong.tracing.models import Contact, ContactTask, Trace, Visit
from tests.conftest import export_through_page, xlsx_rows

from .conftest import stay


def open_through_page(client, case):
    return client.post("/tracing/", {"case": case.pk, "onset": timezone.localdate().isoformat(),
                                     "window_days": "14"})


def test_a_tracer_opens_a_trace_and_acts_on_the_first_contact_from_the_workbench(district, users, scene, client_for):
    neighbour = district.person_a_neighbour
    stay(neighbour, scene.market, scene.at, 50)
    stay(district.person_a_other_grid, scene.market, scene.at + datetime.timedelta(minutes=40), 30)
    officer = client_for(users.officer)
    found = officer.get("/tracing/", {"q": "王秀英"}).content.decode()
    assert f'<option value="{scene.case.pk}"' in found and "王*英" in found
    assert district.numbers["a"] not in found
    opened = open_through_page(officer, scene.case)
    trace = Trace.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/tracing/{trace.pk}/"
    page = officer.get(opened["Location"]).content.decode()
    assert "幸福里菜市场" in page and "50 分钟" in page
    assert page.index(f'data-person="{neighbour.pk}"') < page.index(f'data-person="{district.person_a_other_grid.pk}"')
    close = Category.objects.get(code="close_contact")
    acted = officer.post(f"/tracing/{trace.pk}/act/", {"persons": [neighbour.pk], "category": close.pk,
                                                       "isolation_kind": "home"}, follow=True)
    assert "新下达隔离 1 人" in acted.content.decode()
    assert IsolationOrder.objects.filter(person=neighbour).exists()
    tasks = client_for(users.worker_a).get("/tracing/tasks/").content.decode()
    assert "王*强" in tasks
    task = ContactTask.objects.get()
    client_for(users.worker_a).post(f"/tracing/tasks/{task.pk}/done/")
    task.refresh_from_db()
    assert task.done_at is not None


def test_bad_input_on_the_pages_is_shown_in_chinese_and_changes_nothing(district, users, scene, client_for):
    officer = client_for(users.officer)
    future = officer.post("/tracing/", {"case": scene.case.pk, "q": "王秀英",
                                        "onset": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()})
    assert future.status_code == 400 and "发病或采样日期不能晚于今天" in future.content.decode()
    assert not Trace.objects.exists()
    open_through_page(officer, scene.case)
    trace = Trace.objects.get()
    refused = officer.post(f"/tracing/{trace.pk}/visits/", {"place": "424242", "start": "2026-01-01T10:00"},
                           follow=True)
    assert "没有这个场所" in refused.content.decode() and trace.visits.count() == 1
    refused = officer.post(f"/tracing/{trace.pk}/act/", {"persons": [district.person_b.pk], "category": "1",
                                                         "isolation_kind": "home"}, follow=True)
    assert "不是本次流调的接触者" in refused.content.decode()
    assert client_for(users.worker_b).get(f"/tracing/{trace.pk}/").status_code == 404
    assert client_for(users.worker_a).post("/tracing/", {"case": scene.case.pk,
                                                        "onset": "2026-01-01"}).status_code == 403


def test_marks_wrong_visits_and_secondary_contacts_through_the_page(district, users, scene, client_for):
    neighbour = district.person_a_neighbour
    stay(neighbour, scene.market, scene.at, 30)
    officer = client_for(users.officer)
    open_through_page(officer, scene.case)
    trace = Trace.objects.get()
    contact = Contact.objects.get(person=neighbour)
    officer.post(f"/tracing/{trace.pk}/contacts/{contact.pk}/mark/", {"mark": "close", "note": "同摊位"})
    contact.refresh_from_db()
    assert contact.mark == "close" and contact.marks.count() == 1
    assert "查找次密接" in officer.get(f"/tracing/{trace.pk}/").content.decode()
    officer.post(f"/tracing/{trace.pk}/secondary/")
    visit = Visit.objects.get()
    officer.post(f"/tracing/{trace.pk}/visits/{visit.pk}/wrong/", {"reason": "扫错码"})
    visit.refresh_from_db()
    assert visit.wrong
    contact.refresh_from_db()
    assert contact.mark == "close"  # a marked contact stays when the visit that found it is withdrawn


def test_risk_places_page_xlsx_chain_and_report(district, users, scene, client_for, tmp_path):
    stay(district.person_a_neighbour, scene.market, scene.at, 30)
    officer = client_for(users.officer)
    open_through_page(officer, scene.case)
    trace = Trace.objects.get()
    assert "幸福里菜市场" in officer.get("/tracing/risk-places/").content.decode()
    rows = xlsx_rows(export_through_page(officer, "/tracing/risk-places/export/"))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "场所")
    assert rows[header + 1][:3] == ["幸福里菜市场", "文化路12号", "幸福里社区"]
    chain = officer.get(f"/tracing/{trace.pk}/chain.json").json()
    assert [node["name"] for node in chain["nodes"]] == ["王*英", "王*强"]
    assert chain["links"] == [{"source": f"p{scene.case.pk}", "target": f"p{district.person_a_neighbour.pk}",
                               "label": "幸福里菜市场", "minutes": 30}]
    page = officer.get(f"/tracing/{trace.pk}/chain/").content.decode()
    assert "echarts.min.js" in page and "<script>" not in page
    report = xlsx_rows(export_through_page(officer, f"/tracing/{trace.pk}/report/xlsx/"))
    assert any("幸福里菜市场" in str(cell) for row in report for cell in row)
    pdf = officer.get(f"/tracing/{trace.pk}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    path = tmp_path / "trace.pdf"
    path.write_bytes(pdf.content)
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "流调报告" in text and "幸福里菜市场" in text and "王*强" in text and "测试区疫情防控指挥部" in text
    assert district.numbers["a_neighbour"] not in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(path), str(tmp_path / "trace")], check=True)
    assert (tmp_path / "trace.png").stat().st_size > 1000


def test_a_district_admin_sets_default_stays_and_margins_per_place_kind_on_a_page(district, users, scene, client_for):
    from fangkong.audit.models import AuditEvent
    from fangkong.passes.models import PlaceKind
    from fangkong.tracing import services
    from fangkong.tracing.models import KindRule

    admin = client_for(users.admin)
    page = admin.get("/tracing/settings/").content.decode()
    assert 'name="venue-stay"' in page and 'value="60"' in page and "前后延伸" in page
    posted = {f"{kind}-{field}": value for kind, (stay_, margin) in services.kind_rules().items()
              for field, value in (("stay", stay_), ("margin", margin))}
    # Bad input: refused in Chinese, what was typed kept, nothing saved, nothing audited.
    before = AuditEvent.objects.count()
    refused = admin.post("/tracing/settings/", {**posted, "venue-stay": "abc", "checkpoint-margin": "500"})
    text = refused.content.decode()
    assert refused.status_code == 400 and "默认停留应为 1 到 720 分钟" in text and "前后延伸应为 0 到 240 分钟" in text
    assert 'value="abc"' in text
    refused = admin.post("/tracing/settings/", {**posted, "venue-stay": "90", "checkpoint-margin": "-1"})
    assert refused.status_code == 400 and not KindRule.objects.exists() and AuditEvent.objects.count() == before
    # A good save: only the changed kind is written and audited; the search reads it.
    saved = admin.post("/tracing/settings/", {**posted, "venue-stay": "90", "venue-margin": "15"}, follow=True)
    assert "已保存时空伴随规则" in saved.content.decode()
    assert list(KindRule.objects.values_list("kind", "stay_minutes", "margin_minutes")) == [(PlaceKind.VENUE, 90, 15)]
    assert AuditEvent.objects.count() == before + 1
    assert services.kind_rules()[PlaceKind.VENUE] == (90, 15)
    # Only district admins: a subdistrict officer is refused and sees no link.
    officer = client_for(users.officer)
    assert officer.get("/tracing/settings/").status_code == 403
    assert "/tracing/settings/" not in officer.get("/tracing/").content.decode()
    assert "/tracing/settings/" in admin.get("/tracing/").content.decode()
