"""The registry: the unified social credit code's checksum, scope (an enterprise admin sees only their own,
officers their area), audited edits, gates, and the all-or-nothing xlsx import."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.core.models import ImportJob, JobStatus
from fangkong.enterprises import services
from fangkong.enterprises.models import Enterprise, EnterpriseGate
from fangkong.passes.models import PlaceKind
from tests.enterprises.conftest import CODES
from tests.passes.office_helpers import make_place


@pytest.mark.parametrize("code", CODES + ["9111000071093465XC", "91350100m000100y43 "])
def test_real_credit_codes_pass_their_checksum(code):
    assert services.normalize_credit_code(code) == code.strip().upper()


@pytest.mark.parametrize("code, message", [
    ("91350100M000100Y44", "校验位错误"),  # the last character of a real code changed
    ("91110000802100433C", "校验位错误"),
    ("91350100M000100Y4", "应为18位"),
    ("91350100M0001O0Y43", "不允许的字符"),  # a letter O where a zero belongs
])
def test_wrong_credit_codes_are_refused_in_chinese(code, message):
    with pytest.raises(ValidationError) as refused:
        services.normalize_credit_code(code)
    assert message in refused.value.messages[0]


def test_an_officer_registers_an_enterprise_and_the_change_is_audited(district, users, client_for):
    officer = client_for(users.worker_a)
    response = officer.post("/enterprises/new/", {
        "name": "幸福里制衣厂", "credit_code": CODES[2], "sector": "manufacturing", "size": "small",
        "area": district.community_a.pk, "contact_phone": "13903711234", "liaison_officer": "李明"})
    enterprise = Enterprise.objects.get(credit_code=CODES[2])
    assert response.status_code == 302 and response.url == enterprise.get_absolute_url()
    assert AuditEvent.objects.filter(object_type="enterprises.Enterprise", object_id=str(enterprise.pk),
                                     action="create", actor=users.worker_a).exists()
    page = officer.get(enterprise.get_absolute_url()).content.decode()
    assert "139****1234" in page and "13903711234" not in page


def test_a_wrong_checksum_on_the_page_says_so_and_writes_nothing(district, users, client_for):
    response = client_for(users.worker_a).post("/enterprises/new/", {
        "name": "幸福里制衣厂", "credit_code": "91440300708461136A", "sector": "manufacturing", "size": "small",
        "area": district.community_a.pk})
    assert response.status_code == 400
    assert "统一社会信用代码校验位错误" in response.content.decode()
    assert not Enterprise.objects.filter(name="幸福里制衣厂").exists()


def test_an_officer_cannot_file_an_enterprise_outside_their_area(district, users, client_for):
    with pytest.raises(ValidationError) as refused:
        services.create_enterprise({"name": "李庄砖厂", "credit_code": CODES[2], "area": district.community_b},
                                   user=users.worker_a)
    assert "area" in refused.value.message_dict


def test_officers_see_the_enterprises_of_their_area(firms, users, client_for):
    page = client_for(users.worker_a).get("/enterprises/").content.decode()
    assert "幸福里食品厂" in page and "李庄物流园" not in page
    district_page = client_for(users.admin).get("/enterprises/").content.decode()
    assert "幸福里食品厂" in district_page and "李庄物流园" in district_page
    assert client_for(users.worker_a).get(firms.other.get_absolute_url()).status_code == 404


def test_an_enterprise_admin_sees_and_edits_only_their_own_enterprise(firms, client_for):
    boss = client_for(firms.boss)
    assert boss.get("/enterprises/").url == firms.factory.get_absolute_url()
    for url in (firms.other.get_absolute_url(), f"/enterprises/{firms.other.pk}/edit/",
                f"/enterprises/{firms.other.pk}/roster/", f"/api/enterprises/{firms.other.pk}/"):
        assert boss.get(url).status_code == 404, url
    response = boss.post(f"/enterprises/{firms.other.pk}/edit/", {"name": "改名", "sector": "other", "size": "small"})
    assert response.status_code == 404
    firms.other.refresh_from_db()
    assert firms.other.name == "李庄物流园"
    response = boss.post(f"/enterprises/{firms.factory.pk}/edit/", {
        "name": "幸福里食品有限公司", "sector": "manufacturing", "size": "medium", "address": "文化路12号"})
    assert response.status_code == 302
    firms.factory.refresh_from_db()
    assert firms.factory.name == "幸福里食品有限公司" and firms.factory.size == "medium"
    assert AuditEvent.objects.filter(object_type="enterprises.Enterprise", object_id=str(firms.factory.pk),
                                     action="update", actor=firms.boss).exists()


def test_a_gate_of_the_area_is_linked_once(district, firms, users, client_for):
    gate = make_place(district.community_a, "食品厂南门", kind=PlaceKind.ENTERPRISE_GATE)
    officer = client_for(users.worker_a)
    officer.post(f"/enterprises/{firms.factory.pk}/gates/", {"place": gate.pk})
    assert EnterpriseGate.objects.get(place=gate).enterprise == firms.factory
    with pytest.raises(ValidationError):
        services.link_gate(firms.other, gate, user=users.admin)


def test_the_import_saves_every_row_or_none(district, users, xlsx, client_for, django_capture_on_commit_callbacks):
    header = ["企业名称", "统一社会信用代码", "行业", "规模", "地址", "社区/村", "园区", "联系人", "联系电话",
              "党建指导员"]
    bad = [header, ["甲厂", CODES[0], "制造业", "小型", "", "幸福里社区", "", "", "", ""],
           ["乙厂", "91110000802100433C", "制造业", "小型", "", "幸福里社区", "", "", "", ""],
           ["丙厂", CODES[2], "制造业", "小型", "", "李庄村", "", "", "", ""]]
    officer = client_for(users.worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        officer.post("/enterprises/import/", {"file": xlsx.upload(bad)})
    job = ImportJob.objects.latest("pk")
    assert job.status == JobStatus.FAILED
    assert [row[0] for row in job.errors] == [3, 4]
    assert "校验位错误" in job.errors[0][2] and "不在您的管辖范围内" in job.errors[1][2]
    assert not Enterprise.objects.exists()
    good = [header, ["甲厂", CODES[0], "制造业", "小型", "", "幸福里社区", "", "", "", ""],
            ["乙厂", CODES[1], "交通运输和物流", "中型", "", "幸福里社区", "", "", "", ""]]
    with django_capture_on_commit_callbacks(execute=True):
        officer.post("/enterprises/import/", {"file": xlsx.upload(good)})
    assert ImportJob.objects.latest("pk").status == JobStatus.DONE
    assert set(Enterprise.objects.values_list("name", "sector")) == {("甲厂", "manufacturing"), ("乙厂", "logistics")}
