"""The reopening application: the checklist as data, answers with attachments checked by content and size,
community → subdistrict → district joint approval with return and reason, the history the enterprise sees,
the approval letter as an A4 PDF in Chinese, and the gate that stays shut to employees until approval."""

import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.audit.models import AuditEvent
from fangkong.enterprises import services
from fangkong.enterprises.models import Attachment, ChecklistItem, State, Step
from fangkong.passes import services as passes
from fangkong.passes.models import Channel, Direction, Verdict
from tests.enterprises.conftest import default_checklist, hire

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type)


def fill(application, user):
    for item in ChecklistItem.objects.filter(active=True):
        files = [_upload("方案.pdf", PDF)] if item.needs_attachment else []
        services.answer_item(application, item, text="已落实", user=user, files=files)


@pytest.fixture
def application(firms):
    default_checklist()
    return services.start_application(firms.factory, user=firms.boss)


def test_a_district_admin_edits_the_checklist(users, client_for):
    default_checklist()
    admin = client_for(users.admin)
    admin.post("/enterprises/checklist/", {"group": "五有五到位", "text": "有隔离观察室", "position": "200",
                                           "needs_attachment": "on", "active": "on"})
    item = ChecklistItem.objects.get(text="有隔离观察室")
    assert item.needs_attachment and item.active
    admin.post("/enterprises/checklist/", {"pk": item.pk, "group": "五有五到位", "text": "有隔离观察室",
                                           "position": "200"})
    item.refresh_from_db()
    assert not item.active
    assert AuditEvent.objects.filter(object_type="enterprises.ChecklistItem", object_id=str(item.pk)).count() == 2
    assert client_for(users.worker_a).get("/enterprises/checklist/").status_code == 403


def test_an_executable_renamed_pdf_and_an_oversized_file_are_refused(application, firms, settings):
    item = ChecklistItem.objects.filter(needs_attachment=True).first()
    with pytest.raises(ValidationError) as refused:
        services.answer_item(application, item, text="已落实", user=firms.boss,
                             files=[_upload("承诺书.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100)])
    assert "不是 PDF 或图片" in str(refused.value)
    settings.FANGKONG_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        services.answer_item(application, item, text="已落实", user=firms.boss,
                             files=[_upload("照片.png", PNG + b"\x00" * 2048, "image/png")])
    assert "太大" in str(refused.value)
    assert not Attachment.objects.exists() and not application.answers.exists()
    services.answer_item(application, item, text="已落实", user=firms.boss,
                         files=[_upload("照片.jpg", PNG, "image/jpeg")])  # a PNG named .jpg: its content decides
    assert Attachment.objects.get().kind == "png"


def test_an_incomplete_application_cannot_be_submitted(application, firms):
    with pytest.raises(ValidationError) as refused:
        services.submit(application, user=firms.boss)
    assert "未填写或缺少附件" in str(refused.value)
    application.refresh_from_db()
    assert application.step == Step.DRAFT


def test_the_joint_approval_with_a_return_and_the_history_the_enterprise_sees(application, firms, users, client_for,
                                                                               tmp_path):
    fill(application, firms.boss)
    services.submit(application, user=firms.boss)
    firms.factory.refresh_from_db()
    assert firms.factory.state == State.APPLYING
    # Nobody but the community's officer decides the first step; a return needs its reason.
    with pytest.raises(PermissionDenied):
        services.review(application, approve=True, user=users.officer)
    with pytest.raises(ValidationError):
        services.review(application, approve=False, user=firms.community_officer)
    services.review(application, approve=False, reason="防疫物资储备不足", user=firms.community_officer)
    application.refresh_from_db()
    assert application.step == Step.RETURNED
    page = client_for(firms.boss).get(application.get_absolute_url()).content.decode()
    assert "防疫物资储备不足" in page and "已退回" in page
    services.submit(application, user=firms.boss)
    for officer in (firms.community_officer, firms.subdistrict_officer, firms.district_admin):
        services.review(application, approve=True, user=officer)
    application.refresh_from_db()
    firms.factory.refresh_from_db()
    assert application.step == Step.APPROVED and firms.factory.state == State.APPROVED
    assert [(e.step, e.decision) for e in application.events.all()] == [
        ("draft", "submit"), ("community", "return"), ("draft", "submit"), ("community", "approve"),
        ("subdistrict", "approve"), ("district", "approve")]
    assert AuditEvent.objects.filter(object_type="enterprises.Application", object_id=str(application.pk),
                                     actor=firms.district_admin).exists()
    letter = client_for(firms.boss).get(f"/enterprises/applications/{application.pk}/letter.pdf")
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "复工复产批准通知书" in text and "幸福里食品厂" in text and application.verification_code in text
    assert "(A4)" in subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    png = tmp_path / "letter"
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-singlefile", str(path), str(png)], check=True)
    assert (tmp_path / "letter.png").stat().st_size > 1000


def test_the_enterprises_own_admin_never_approves(application, firms, district, users):
    from fangkong.accounts.roles import Role
    from tests.conftest import role_group

    fill(application, firms.boss)
    services.submit(application, user=firms.boss)
    firms.boss.groups.add(role_group(Role.COMMUNITY_WORKER))  # even with an officer's role as well
    with pytest.raises(PermissionDenied) as refused:
        services.review(application, approve=True, user=firms.boss)
    assert "企业管理员不能审批本企业的申请" in str(refused.value)
    application.refresh_from_db()
    assert application.step == Step.COMMUNITY


def test_an_officer_returns_through_the_page(application, firms, client_for):
    fill(application, firms.boss)
    services.submit(application, user=firms.boss)
    officer = client_for(firms.community_officer)
    assert "等待您审核" not in officer.get("/enterprises/reviews/").content.decode()
    assert "幸福里食品厂" in officer.get("/enterprises/reviews/").content.decode()
    officer.post(f"/enterprises/applications/{application.pk}/review/", {"decision": "return", "reason": ""})
    application.refresh_from_db()
    assert application.step == Step.COMMUNITY  # no reason: nothing changed
    officer.post(f"/enterprises/applications/{application.pk}/review/", {"decision": "return",
                                                                         "reason": "承诺书未签字"})
    application.refresh_from_db()
    assert application.step == Step.RETURNED


def test_the_gate_denies_employees_until_approval_and_says_why(district, application, firms, users):
    worker = hire(firms.factory, district.person_a, firms.boss).person
    visitor = district.person_b

    def scan(person, key):  # the gate as every channel reads it: cached, with its enterprise
        return passes.record_passage(person, passes.place_by_pk(firms.gate.pk), channel=Channel.SCAN,
                                     idempotency_key=key, declaration=None)

    denied = scan(worker, "before")
    assert denied.verdict == Verdict.DENY and any("尚未批准复工" in r for r in denied.reasons)
    assert not any("尚未批准复工" in r for r in scan(visitor, "visitor").reasons)
    fill(application, firms.boss)
    services.submit(application, user=firms.boss)
    for officer in (firms.community_officer, firms.subdistrict_officer, firms.district_admin):
        services.review(application, approve=True, user=officer)
    after = scan(worker, "after")
    assert not any("尚未批准复工" in r for r in after.reasons)
    assert Direction.IN == after.direction
