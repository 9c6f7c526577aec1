"""协查名单 import: matched rows become screenings, unmatched and out-of-scope rows are listed, bad rows stop all."""

import datetime

import pytest

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.models import ImportJob, JobStatus
from fangkong.screening import services
from fangkong.screening.models import Category, Screening, Source, State
from fangkong.territory.models import Area, AreaLevel

HEADER = ["姓名", "证件号码", "手机号", "类别", "来源地/说明", "协查日期"]


@pytest.fixture
def run_import(client_for, django_capture_on_commit_callbacks):
    """Upload through the page as `user`; the job runs (eagerly) when the request's transaction commits."""

    def run(user, upload):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/key-persons/assistance/", {"file": upload})
        assert response.status_code == 302, response.content.decode()[-2000:]
        job = ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
        assert response["Location"] == f"/imports/{job.pk}/"
        return job

    return run


@pytest.fixture
def other_district(db):
    """A second district in the same deployment, with a person of its own."""
    from tests.conftest import _person, resident_id

    top = Area.objects.create(name="邻区", code="410106", level=AreaLevel.DISTRICT)
    sub = Area.objects.create(name="南阳街道", level=AreaLevel.SUBDISTRICT, parent=top)
    community = Area.objects.create(name="南阳社区", level=AreaLevel.COMMUNITY, parent=sub)
    number = resident_id("1979-02-14", 735)
    return _person("周建华", number, community), number


def test_the_template_header(users, client_for, xlsx):
    response = client_for(users.worker_a).get("/key-persons/assistance/template.xlsx")
    assert response.status_code == 200
    rows = xlsx.rows(response.content)
    assert rows[0] == HEADER and len(rows) == 3
    assert client_for(users.grid_worker).get("/key-persons/assistance/template.xlsx").status_code == 403
    assert client_for(users.grid_worker).get("/key-persons/assistance/").status_code == 403


def test_matched_rows_become_screenings_others_are_listed_as_unmatched(
        district, users, client_for, xlsx, run_import, other_district, new_resident_id):
    other_person, other_number = other_district
    contact = Category.objects.get(code="close_contact")
    returnee = Category.objects.get(code="return_province")
    already = services.open_screening(district.person_a_neighbour, contact, user=users.worker_a)
    nobody = new_resident_id("1990-07-07")
    day = datetime.date(2022, 3, 6)
    rows = [HEADER,
            ["王秀英", district.numbers["a"], "13903711234", "省外返回人员", "北京市朝阳区", day],
            ["王志强", district.numbers["a_neighbour"], "", "close_contact", "3月5日病例密接", "2022-03-06"],
            ["赵丽", district.numbers["c"].lower(), "", "密切接触者", "市疾控协查", "2022/3/5"],
            ["钱多多", nobody, "13800001111", "密切接触者", "", "2022年3月6日"],
            ["李建国", district.numbers["b"], "", "省外返回人员", "", ""],
            ["周建华", other_number, "", "省外返回人员", "", ""],
            ["王秀兰", district.numbers["a_other_grid"], "", "省外返回人员", "", ""],
            ["王秀英", district.numbers["a"], "", "省外返回人员", "重复的一行", day]]
    job = run_import(users.officer, xlsx.upload(rows, "协查名单.xlsx"))  # 东风街道: A and C, not B
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.errors

    created = Screening.objects.filter(source=Source.ASSISTANCE).order_by("id")
    assert [(s.person, s.category, s.area, s.reported_on, s.origin) for s in created] == [
        (district.person_a, returnee, district.community_a, day, "北京市朝阳区"),
        (district.person_c, contact, district.community_c, datetime.date(2022, 3, 5), "市疾控协查"),
    ]
    assert all(s.created_by == users.officer and s.state == State.REPORTED for s in created)
    assert Screening.objects.filter(person=district.person_a_neighbour).get() == already  # not doubled
    assert job.summary == {"新增重点人员": 2, "已在管控（未重复登记）": 2, "未匹配": 4,
                           "幸福里社区 新增": 1, "幸福里社区 已在管控": 2, "新华社区 新增": 1, "新华社区 已在管控": 0}
    assert job.errors == [
        [5, "钱*多", "人员台账中没有该证件号码"],
        [6, "李*国", "该人员不在您的管辖范围内（属于其他区、街道或社区），请转交其所在地处理"],
        [7, "周*华", "该人员不在您的管辖范围内（属于其他区、街道或社区），请转交其所在地处理"],
        [8, "王*兰", "姓名与人员台账不一致，请核实"],
    ]
    assert not Screening.objects.filter(person__in=[district.person_b, other_person]).exists()

    client = client_for(users.officer)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "导入成功" in page and "未匹配" in page and "第 6 行" in page and "钱*多" in page
    assert "钱多多" not in page and nobody not in page
    download = client.get(f"/imports/{job.pk}/errors.xlsx")
    assert download.status_code == 200
    sheet = xlsx.rows(download.content)
    assert sheet[0] == ["行号", "姓名", "原因"] and sheet[1] == [5, "钱*多", "人员台账中没有该证件号码"]
    assert len(sheet) == 5 and "钱多多" not in str(sheet)
    event = AuditEvent.objects.get(action=AuditAction.IMPORT, object_id=str(job.pk))
    assert event.actor == users.officer and event.changes["新增重点人员"] == 2


def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported(
        district, users, xlsx, run_import, new_resident_id):
    good = district.numbers["a"]
    bad_checksum = good[:17] + ("1" if good[17] == "0" else "0")
    tomorrow = services.today() + datetime.timedelta(days=1)
    rows = [HEADER,
            ["王秀英", good, "", "省外返回人员", "", "2022-03-06"],
            ["王志强", bad_checksum, "", "省外返回人员", "", "2022-03-06"],
            ["张子涵", district.numbers["a_other_grid"], "", "外星来客", "", "2022-03-06"],
            ["赵丽", district.numbers["c"], "", "密切接触者", "", "3月6号"],
            ["", new_resident_id(), "", "密切接触者", "", tomorrow.isoformat()]]
    job = run_import(users.admin, xlsx.upload(rows, "协查名单.xlsx"))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.errors == [
        [3, "证件号码", "身份证号码校验位错误"],
        [4, "类别", "没有“外星来客”这个类别，请填写类别管理中的名称或代码"],
        [5, "协查日期", "日期格式不对，请写成 2022-03-06"],
        [6, "姓名", "请填写姓名"],
        [6, "协查日期", "协查日期不能晚于今天"],
    ]
    assert not Screening.objects.exists()


def test_a_file_without_the_needed_columns_is_refused(users, xlsx, run_import):
    job = run_import(users.admin, xlsx.upload([["姓名", "身份证号"], ["王秀英", "x"]], "名单.xlsx"))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.errors[0][2].startswith("缺少列：类别") and not Screening.objects.exists()
