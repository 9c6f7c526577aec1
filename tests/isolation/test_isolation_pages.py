"""The isolation pages through the test client: ordering from a person's page, refusals in Chinese that keep
the form and write nothing, the order page's actions, the board, the site page, transfers, the person's own
monitoring page without login, the printed documents and their public verification."""

import re
import subprocess

from django.test import Client
from django.utils import timezone

from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, MonitoringCheck, State, TransferBatch
from fangkong.passes import services as passes
from fangkong.passes.models import Proof
from tests.isolation.conftest import days_ago, isolate


def test_a_worker_orders_home_isolation_from_the_person_page(district, users, client_for):
    worker = client_for(users.worker_a)
    page = worker.get(f"/people/{district.person_a.pk}/")
    assert f"/isolation/new/?person={district.person_a.pk}" in page.content.decode()
    form = worker.get(f"/isolation/new/?person={district.person_a.pk}")
    assert "居家隔离 14 天" in form.content.decode()
    response = worker.post("/isolation/new/", {"person": district.person_a.pk, "kind": "home", "reason": "密接",
                                               "source": "screening", "start": str(timezone.localdate())})
    order = IsolationOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/isolation/{order.pk}/"
    detail = worker.get(response["Location"]).content.decode()
    assert "隔离中" in detail and order.verification_code in detail and f"/m/{order.monitoring_token}/" in detail
    listing = worker.get("/isolation/").content.decode()
    assert "王秀英" in listing and "共 1 人" in listing


def test_a_refused_order_says_why_next_to_the_field_keeps_the_input_and_writes_nothing(district, users, client_for):
    worker = client_for(users.worker_a)
    response = worker.post("/isolation/new/", {"person": district.person_a.pk, "kind": "home", "reason": "入境",
                                               "start": str(timezone.localdate()), "planned_end": str(days_ago(3))})
    assert response.status_code == 400
    body = response.content.decode()
    assert "计划解除日期不能早于开始日期" in body and 'value="入境"' in body
    assert not IsolationOrder.objects.exists()
    assert worker.get(f"/isolation/new/?person={district.person_b.pk}").status_code == 404


def test_release_pages_ask_a_second_approver_before_the_planned_end(district, users, sites, client_for):
    order = isolate(district.person_a, users.worker_a, start_days_ago=2)
    admin = client_for(users.admin)
    admin.post(f"/isolation/{order.pk}/release/", {"reason": ""})
    order.refresh_from_db()
    assert order.state == State.ISOLATING and not order.release_pending
    page = admin.post(f"/isolation/{order.pk}/release/", {"reason": "疾控通知解除"}, follow=True).content.decode()
    assert "已提交提前解除申请，等待另一位审批人审批" in page and "批准解除" not in page
    page = admin.post(f"/isolation/{order.pk}/approve-release/", {"decision": "approve"}, follow=True)
    assert "不能审批自己提交的解除申请" in page.content.decode()
    second = client_for(sites.approver)
    assert "批准解除" in second.get(f"/isolation/{order.pk}/").content.decode()
    second.post(f"/isolation/{order.pk}/approve-release/", {"decision": "approve"})
    order.refresh_from_db()
    assert order.state == State.RELEASED


def test_a_worker_of_another_community_gets_404_for_an_order_page(district, users, client_for):
    order = isolate(district.person_a, users.worker_a)
    other = client_for(users.worker_b)
    assert other.get(f"/isolation/{order.pk}/").status_code == 404
    assert other.post(f"/isolation/{order.pk}/check/", {"temperature": "36.5"}).status_code == 404
    assert other.get(f"/isolation/{order.pk}/notice.pdf").status_code == 404
    assert not MonitoringCheck.objects.exists()


def test_the_person_enters_temperatures_from_their_pass_page_without_login(district, users):
    order = isolate(district.person_a, users.worker_a)
    phone = Client()
    phone.cookies[passes.DEVICE_COOKIE] = passes.device_cookie(
        passes.add_to_device(None, district.person_a, "本人", proof=Proof.SMS))
    link = f"/m/{order.monitoring_token}/"
    assert link in phone.get("/my/pass/").content.decode()
    bad = phone.post(link, {"temperature": "99"})
    assert bad.status_code == 400 and "体温应在 34.0 到 43.0 ℃ 之间" in bad.content.decode()
    assert not MonitoringCheck.objects.exists()
    done = phone.post(link, {"temperature": "36.5"}, follow=True).content.decode()
    assert "已提交，谢谢配合" in done and "36.5 ℃" in done
    assert MonitoringCheck.objects.get().by is None
    assert Client().get("/m/not-a-token/").status_code == 404


def test_the_board_lists_open_tasks_and_reaches_zero_when_they_are_done(district, users, client_for):
    order = isolate(district.person_a, users.worker_a)
    services.record_check(order, temperature="38.1", at=timezone.now())
    worker = client_for(users.worker_a)
    home = worker.get("/").content.decode()
    assert "1 条隔离人员监测待办（每天清零）" in home
    board = worker.get("/isolation/board/").content.decode()
    assert "幸福里社区" in board and "体温或症状异常" in board
    task = order.tasks.get()
    worker.post(f"/isolation/tasks/{task.pk}/done/", {"note": "已送发热门诊"})
    assert "已清零" in worker.get("/isolation/board/").content.decode()


def test_the_site_page_shows_free_beds_transfers_and_allocates_from_a_batch(district, users, sites, client_for):
    orders = [isolate(p, users.worker_a, kind="centralized", start_days_ago=-1)
              for p in (district.person_a, district.person_a_neighbour)]
    worker = client_for(users.worker_a)
    response = worker.post("/isolation/transfers/new/", {
        "vehicle": "豫A12345", "driver": "刘师傅", "departs_at": "2026-03-06T09:00",
        "from_area": district.community_a.pk,
        "to_site": sites.hotel.pk, "orders": [o.pk for o in orders]})
    batch = TransferBatch.objects.get()
    assert response.status_code == 302
    staff = client_for(sites.staff)
    site_page = staff.get(f"/isolation/sites/{sites.hotel.pk}/").content.decode()
    assert "空余床位 4" in site_page and "豫A12345" in site_page
    staff.post(f"/isolation/transfers/{batch.pk}/")
    staff.post(f"/isolation/{orders[0].pk}/room/", {"room": sites.rooms[0].pk, "check_in": "1",
                                                    "next": f"/isolation/transfers/{batch.pk}/"})
    orders[0].refresh_from_db()
    assert (orders[0].room, orders[0].state) == (sites.rooms[0], State.ISOLATING)
    full = staff.post(f"/isolation/{orders[1].pk}/room/", {"room": sites.rooms[0].pk}, follow=True).content.decode()
    assert "房间 101 已住满（1 人），请选择其他房间" in full
    assert "空余床位 3" in staff.get(f"/isolation/sites/{sites.hotel.pk}/").content.decode()


def test_a_transfer_without_persons_or_vehicle_is_refused_in_chinese(district, users, sites, client_for):
    response = client_for(users.worker_a).post("/isolation/transfers/new/", {
        "vehicle": "", "driver": "刘师傅", "departs_at": "2026-03-06T09:00", "from_area": district.community_a.pk,
        "to_site": sites.hotel.pk})
    body = response.content.decode()
    assert response.status_code == 400 and "请填写车牌号" in body and "请至少选择一名待转运人员" in body
    assert not TransferBatch.objects.exists()


def test_bulk_order_from_a_selection_is_all_or_nothing(district, users, client_for):
    isolate(district.person_a_neighbour, users.worker_a)
    worker = client_for(users.worker_a)
    ids = [district.person_a.pk, district.person_a_neighbour.pk]
    refused = worker.post("/isolation/bulk/", {"persons": ids, "kind": "home", "reason": "同楼栋", "confirm": "1"})
    assert refused.status_code == 400 and "第 2 行" in refused.content.decode()
    assert IsolationOrder.objects.count() == 1
    ok = worker.post("/isolation/bulk/", {"persons": [district.person_a.pk, district.person_a_other_grid.pk],
                                         "kind": "home", "reason": "同楼栋", "confirm": "1"})
    assert ok.status_code == 302 and IsolationOrder.objects.count() == 3


def test_the_notice_and_certificate_are_chinese_a4_pdfs_verified_on_a_public_page(district, users, client_for,
                                                                                  tmp_path, negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    negative_results(district.person_a, 0, 1)
    worker = client_for(users.worker_a)
    assert worker.get(f"/isolation/{order.pk}/certificate.pdf").status_code == 404  # not released yet
    services.request_release(order, user=users.worker_a)
    for kind, title in (("notice", "隔离告知书"), ("certificate", "解除隔离证明")):
        response = worker.get(f"/isolation/{order.pk}/{kind}.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(response.content)
        text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                      check=True).stdout.split())
        assert title in text and order.verification_code in text and "王*英" in text and "测试区疫情防控指挥部" in text
        assert district.numbers["a"] not in text
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M) and "595.276 x 841.89" in info
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(path), str(tmp_path / kind)], check=True)
        assert (tmp_path / f"{kind}.png").stat().st_size > 1000
    public = Client()
    verified = public.get("/isolation/verify/", {"code": order.verification_code.lower()}).content.decode()
    assert "核验通过" in verified and "已解除" in verified and "王*英" in verified and "王秀英" not in verified
    assert "没有找到这个核验码" in public.get("/isolation/verify/", {"code": "FORGED12"}).content.decode()


def test_a_district_admin_sets_the_days_per_kind_and_a_worker_may_not(users, client_for):
    admin = client_for(users.admin)
    refused = admin.post("/isolation/settings/", {"centralized": "21", "home": "0", "home_monitoring": "7"})
    assert refused.status_code == 400 and "隔离天数应为 1 到 60 之间的整数" in refused.content.decode()
    assert services.kind_days()["centralized"] == 14  # nothing saved
    admin.post("/isolation/settings/", {"centralized": "14", "home": "10", "home_monitoring": "7"})
    assert services.kind_days()["home"] == 10
    assert client_for(users.worker_a).get("/isolation/settings/").status_code == 403


def test_an_isolation_list_is_imported_all_or_nothing_with_errors_by_row(district, users, client_for, xlsx,
                                                                        django_capture_on_commit_callbacks):
    from fangkong.core.models import ImportJob
    isolate(district.person_a_neighbour, users.worker_a)
    header = ["身份证号码", "姓名", "隔离类型", "隔离原因", "开始日期", "计划解除日期"]
    today = str(timezone.localdate())
    bad = [header, [district.numbers["a"], "王秀英", "居家隔离", "密接", today, ""],
           [district.numbers["a_neighbour"], "王志强", "居家隔离", "密接", today, ""],
           [district.numbers["b"], "李建国", "居家隔离", "密接", today, ""],
           [district.numbers["a_other_grid"], "张子涵", "居家隔离", "密接", today, str(days_ago(1))]]
    worker = client_for(users.worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = worker.post("/isolation/import/", {"file": xlsx.upload(bad, "隔离名单.xlsx")})
    job = ImportJob.objects.latest("id")
    assert response.status_code == 302
    errors = " ".join(str(e) for e in job.errors)
    assert "已有未解除的隔离" in errors and "不在您的管辖范围内" in errors and "计划解除日期不能早于开始日期" in errors
    assert IsolationOrder.objects.count() == 1
    good = [header, [district.numbers["a"], "王秀英", "居家隔离", "密接", today, ""]]
    with django_capture_on_commit_callbacks(execute=True):
        worker.post("/isolation/import/", {"file": xlsx.upload(good, "隔离名单.xlsx")})
    assert IsolationOrder.objects.filter(person=district.person_a, state=State.ISOLATING).exists()
