"""Ledger import: one row per person, all-or-nothing, merges within scope, row-numbered errors in Chinese."""

import datetime
import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.identity import mask_name
from fangkong.core.models import ImportJob, JobStatus
from fangkong.people.models import HouseholdRole, Person, Residency, Sex
from fangkong.territory.models import Building, Compound, Household, Unit
from tests.conftest import resident_id

HEADER = ["社区/村", "网格", "小区/楼院", "楼栋", "单元", "门牌/房号", "地址", "姓名", "证件类型", "证件号码", "手机号",
          "与户主关系", "人口类型", "返回日期", "从何地返回", "工作单位", "疫苗接种剂次", "性别"]


def row(name, number, room="301", role="", residency="户籍人口", returned="", origin="", doses=2,
        community="幸福里社区", building="3号楼", unit="1单元", phone="", workplace=""):
    return [community, "第一网格", "幸福里小区", building, unit, room, "", name, "居民身份证", number, phone, role,
            residency, returned, origin, workplace, doses]


@pytest.fixture
def upload(client_for, xlsx, django_capture_on_commit_callbacks):
    """Upload rows through /people/import/ as `user`; the job runs when the request commits."""

    def run(user, rows, header=HEADER) -> ImportJob:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/people/import/", {"file": xlsx.upload([header, *rows], "台账.xlsx")})
        assert response.status_code == 302, response.content.decode()[-2000:]
        job = ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
        assert job.kind == "ledger"
        return job

    return run


def errors_of(job):
    return {(number, column): message for number, column, message in job.errors}


def test_template_download_has_every_column(users, client_for, xlsx):
    response = client_for(users.worker_a).get("/people/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote("台账导入模板.xlsx")
    rows = xlsx.rows(response.content)
    assert list(rows[0]) == HEADER and len(rows) > 1
    page = client_for(users.worker_a).get("/people/import/").content.decode()
    assert "下载模板" in page and "身份证号码" in page  # the accepted other names are listed


def test_import_creates_households_and_persons(users, district, upload):
    head, child, returned = resident_id("1970-02-03"), resident_id("2001-07-08"), datetime.date(2022, 3, 1)
    job = upload(users.worker_a, [
        row("刘建华", head, role="户主", phone="13812345678"),
        row("刘小燕", child, role="女儿", residency="流动人口", returned=returned, origin="上海市", doses=3,
            workplace="上海大学"),
        row("陈芳", resident_id("1980-01-01"), room="302", role="本人"),
    ])
    assert job.status == JobStatus.DONE, job.errors
    assert job.summary["新增人员"] == 3 and job.summary["更新人员"] == 0
    assert job.summary["新建楼栋"] == 1 and job.summary["新建单元"] == 1 and job.summary["新建住户"] == 2
    building = Building.objects.get(compound=district.compound_a, name="3号楼")
    assert building.grid == district.grid_a1
    h301 = Household.objects.get(unit__building=building, room="301")
    assert h301.address == "幸福里小区3号楼1单元301" and h301.grid == district.grid_a1
    members = {p.name: p for p in Person.objects.filter(household=h301)}
    assert members["刘建华"].household_role == HouseholdRole.HEAD and members["刘建华"].phone == "13812345678"
    girl = members["刘小燕"]
    assert (girl.household_role, girl.residency, girl.returned_on, girl.returned_from, girl.workplace,
            girl.vaccine_doses) == (HouseholdRole.CHILD, Residency.FLOATING, returned, "上海市", "上海大学", 3)
    assert girl.id_number == child and girl.birth_date == datetime.date(2001, 7, 8)
    assert girl.area == district.community_a
    event = AuditEvent.objects.get(action=AuditAction.IMPORT, object_id=str(job.pk))
    assert event.changes["kind"] == "ledger" and event.changes["新增人员"] == 3


def test_header_names_of_the_communities_own_ledgers(users, district, upload):
    header = ["社区", "网格", "小区", "楼栋", "单元", "房号", "现住址", "姓名", "证件类型", "公民身份号码", "联系电话",
              "户主关系", "人员类型", "返回日期", "从何地返回", "工作单位", "疫苗接种剂次"]
    job = upload(users.worker_a, [row("周强", resident_id("1975-05-05"), role="户主", phone="13912340000")], header)
    assert job.status == JobStatus.DONE, job.errors
    person = Person.objects.get(name="周强")
    assert person.phone == "13912340000" and person.household_role == HouseholdRole.HEAD


def test_one_bad_row_imports_nothing_and_every_error_is_reported(users, district, upload):
    before = (Person.objects.count(), Household.objects.count(), Unit.objects.count(), Compound.objects.count())
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    number = resident_id("1990-09-09")
    bad_checksum = number[:-1] + ("0" if number[-1] != "0" else "1")
    job = upload(users.worker_a, [
        row("好人一", resident_id("1960-01-01"), role="户主"),
        row("坏号码", bad_checksum),
        row("好人二", resident_id("1961-01-01"), room="305"),
        row("未来人", resident_id("1962-01-01"), room="306", returned=tomorrow, origin="北京"),
        row("无来处", resident_id("1963-01-01"), room="307", returned="2022-03-01"),
        row("打太多", resident_id("1964-01-01"), room="308", doses=7),
        row("外社区", resident_id("1965-01-01"), community="李庄村"),
        row("怪关系", resident_id("1966-01-01"), room="309", role="邻居"),
    ])
    assert job.status == JobStatus.FAILED
    errors = errors_of(job)
    assert errors[(3, "证件号码")] == "身份证号码校验位错误"
    assert errors[(5, "返回日期")] == "返回日期不能晚于今天"
    assert errors[(6, "从何地返回")] == "填写了返回日期，请填写从何地返回"
    assert errors[(7, "疫苗接种剂次")].startswith("疫苗接种剂次应为 0 到 5")
    assert errors[(8, "社区/村")] == "“李庄村”不在您的管辖范围内"
    assert errors[(9, "与户主关系")].startswith("与户主关系应为")
    assert not any(number in (2, 4) for number, _c, _m in job.errors)
    assert (Person.objects.count(), Household.objects.count(), Unit.objects.count(),
            Compound.objects.count()) == before
    assert not Building.objects.filter(name="3号楼").exists()


def test_a_number_repeated_in_the_file_is_an_error_on_the_later_row(users, district, upload):
    number = resident_id("1988-08-08")
    job = upload(users.worker_a, [row("张甲", number), row("李乙", resident_id("1989-01-01")),
                                  row("王丙", number.lower())])
    assert job.status == JobStatus.FAILED
    assert job.errors == [[4, "证件号码", "与第 2 行证件号码重复"]]
    assert not Person.objects.filter(name__in=["张甲", "李乙", "王丙"]).exists()


def test_existing_person_in_scope_is_merged_not_doubled(users, district, upload):
    person = district.person_a  # 王秀英, 幸福里小区1号楼1单元101
    count = Person.objects.count()
    job = upload(users.worker_a, [
        row("王秀英", district.numbers["a"], building="1号楼", room="101", role="户主", residency="户籍",
            returned="2022-02-20", origin="广州市", doses=3, workplace="退休"),
        row("新成员", resident_id("1999-09-09"), building="1号楼", room="101", role="子女"),
    ])
    assert job.status == JobStatus.DONE, job.errors
    assert job.summary["更新人员"] == 1 and job.summary["新增人员"] == 1 and job.summary["新建住户"] == 0
    assert Person.objects.count() == count + 1
    person.refresh_from_db()
    assert (person.household, person.household_role, person.returned_on, person.returned_from, person.workplace,
            person.vaccine_doses) == (district.household_a101, HouseholdRole.HEAD, datetime.date(2022, 2, 20),
                                      "广州市", "退休", 3)
    assert person.phone == district.numbers["phone_a"]  # no phone in the row: kept
    merge = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="people.Person", object_id="")
    assert merge.changes["persons"] == [person.pk] and merge.actor == users.worker_a
    assert AuditEvent.objects.get(action=AuditAction.IMPORT, object_id=str(job.pk)).changes["更新人员"] == 1


def test_existing_number_outside_scope_is_flagged(users, district, upload):
    job = upload(users.worker_a, [row("李建国", district.numbers["b"]), row("另一人", resident_id("1977-03-03"))])
    assert job.status == JobStatus.FAILED
    assert job.errors == [[2, "证件号码", "该证件号码已在其他社区登记，请联系街道核实"]]
    assert Person.objects.filter(name="李建国").count() == 1 and not Person.objects.filter(name="另一人").exists()


def test_two_heads_in_the_file(users, district, upload):
    job = upload(users.worker_a, [row("户主甲", resident_id("1950-01-01"), role="户主"),
                                  row("户主乙", resident_id("1951-01-01"), role="本人")])
    assert job.status == JobStatus.FAILED
    assert job.errors == [[3, "与户主关系", "与第 2 行同为该户户主"]]


def test_second_head_against_the_database(users, district, make_person, upload):
    head = make_person("王大山", district.community_a, district.household_a102)
    Person.objects.filter(pk=head.pk).update(household_role=HouseholdRole.HEAD)
    job = upload(users.worker_a, [row("王二山", resident_id("1952-02-02"), building="1号楼", room="102", role="户主")])
    assert job.status == JobStatus.FAILED
    assert job.errors == [[2, "与户主关系", f"该户已有户主：{mask_name('王大山')}"]]
    # The registered head named in the same file as no longer head: fine.
    job = upload(users.worker_a, [
        row("王二山", resident_id("1952-02-03"), building="1号楼", room="102", role="户主"),
        row("王大山", head.id_number, building="1号楼", room="102", role="父母"),
    ])
    assert job.status == JobStatus.DONE, job.errors
    head.refresh_from_db()
    assert head.household_role == HouseholdRole.PARENT
    assert Person.objects.get(name="王二山").household_role == HouseholdRole.HEAD


def test_missing_required_column(users, district, upload):
    job = upload(users.worker_a, [["幸福里社区", "某人"]], header=["社区/村", "姓名"])
    assert job.status == JobStatus.FAILED
    assert job.errors[0][2] == "缺少列：证件号码。请使用下载的模板"


def test_only_roles_that_import_may_open_the_page(users, client_for):
    assert client_for(users.grid_worker).get("/people/import/").status_code == 403
    assert client_for(users.worker_a).get("/people/import/").status_code == 200


# --- Ledgers as the communities keep them -----------------------------------------------------------------------

OWN_HEADER = ["序号", "姓名", "性别", "身份证号", "联系电话", "与户主的关系", "人员类型", "小区", "楼号", "单元",
              "门牌号"]


def own_ledger(rows, header=OWN_HEADER, title="幸福里社区居民信息登记台账（2022年3月）"):
    """A ledger as a community keeps it: a merged title row, a blank row and a 填表单位 row above the header."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.merge_cells(f"A1:{get_column_letter(len(header))}1")
    sheet.append([])
    sheet.append(["填表单位：幸福里社区居委会", None, None, None, None, "填表日期：2022年3月5日"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("幸福里社区台账.xlsx", out.getvalue())


@pytest.fixture
def upload_file(client_for, django_capture_on_commit_callbacks):
    """Post a file (and the page's other fields) to /people/import/ as `user`; the job runs when the request commits."""

    def run(user, upload, **data) -> ImportJob:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/people/import/", {"file": upload, **data})
        assert response.status_code == 302, response.content.decode()[-2000:]
        return ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))

    return run


def test_a_workers_own_ledger_with_a_title_and_no_community_column_goes_to_their_community(
        users, district, upload_file, client_for):
    head, wife, tenant, lodger = (resident_id("1968-04-04"), resident_id("1970-05-05"), resident_id("1992-06-06"),
                                  resident_id("1995-07-07"))
    job = upload_file(users.worker_a, own_ledger([
        [1, "赵大勇", "男", head, "13812340001", "户主", "常住人口", "幸福里小区", "5号楼", "2单元", "101"],
        [2, "钱小梅", "女", wife, "", "妻子", "户籍人口", "幸福里小区", "5号楼", "2单元", "101"],
        [3, "孙租客", "男性", tenant, "13812340002", "租户", "租户", "幸福里小区", "5号楼", "2单元", "102"],
        [4, "李外来", "女", lodger, "", "租户", "外来人口", "幸福里小区", "5号楼", "2单元", "102"],
    ]))
    assert job.status == JobStatus.DONE, job.errors
    assert job.total_rows == 4 and job.summary["新增人员"] == 4
    persons = {p.name: p for p in Person.objects.filter(name__in=["赵大勇", "钱小梅", "孙租客", "李外来"])}
    assert {p.area for p in persons.values()} == {district.community_a}
    assert (persons["赵大勇"].residency, persons["孙租客"].residency, persons["李外来"].residency) == (
        Residency.PERMANENT, Residency.FLOATING, Residency.FLOATING)
    assert persons["孙租客"].household_role == HouseholdRole.TENANT and persons["赵大勇"].phone == "13812340001"
    assert persons["钱小梅"].household.address == "幸福里小区5号楼2单元101"
    notes = job.notes
    assert "列“身份证号” → 证件号码" in notes and "列“联系电话” → 手机号" in notes and "列“楼号” → 楼栋" in notes
    assert "文件中没有“社区/村”列：全部导入到 幸福里社区" in notes
    assert "人口类型：“租户” → 流动人口（1 行）" in notes and "人口类型：“常住人口” → 户籍人口（1 行）" in notes
    assert "与户主关系：“妻子” → 配偶（1 行）" in notes
    page = client_for(users.worker_a).get(job.get_absolute_url()).content.decode()
    assert "导入成功" in page and "按以下对应关系读取" in page and "“租户” → 流动人口（1 行）" in page
    event = AuditEvent.objects.get(action=AuditAction.IMPORT, object_id=str(job.pk))
    assert "文件中没有“社区/村”列：全部导入到 幸福里社区" in event.changes["notes"]


def test_errors_in_a_ledger_with_title_rows_name_the_rows_as_excel_numbers_them(users, district, upload_file):
    job = upload_file(users.worker_a, own_ledger([
        [1, "周一", "男", resident_id("1980-01-01"), "", "户主", "本地", "幸福里小区", "6号楼", "1单元", "101"],
        [2, "吴二", "女", resident_id("1981-01-01"), "", "邻居", "户籍", "幸福里小区", "6号楼", "1单元", "101"],
    ]))
    assert job.status == JobStatus.FAILED
    assert [(number, column) for number, column, _m in job.errors] == [(6, "与户主关系")]  # header on row 4
    assert not Person.objects.filter(name__in=["周一", "吴二"]).exists()
    assert "列“身份证号” → 证件号码" in job.notes  # what was read is told with the errors too


def test_an_identity_number_excel_stored_as_a_number_is_told_as_such(users, district, upload_file, client_for, xlsx):
    good = resident_id("1985-06-12", sequence=123)  # 410105198506121230
    rounded = good[:15] + "000"  # what Excel keeps of it: its check digit would be 3, not 0
    job = upload_file(users.worker_a, own_ledger([
        [1, "郑甲", "男", good, "", "户主", "户籍人口", "幸福里小区", "7号楼", "1单元", "101"],
        [2, "郑乙", "男", 4.10105198506121e+17, "", "子女", "户籍人口", "幸福里小区", "7号楼", "1单元", "101"],
        [3, "郑丙", "女", int(rounded), "", "子女", "户籍人口", "幸福里小区", "7号楼", "1单元", "101"],
        [4, "郑丁", "女", rounded, "", "子女", "户籍人口", "幸福里小区", "7号楼", "1单元", "101"],
        [5, "郑戊", "女", "4.10105E+17", "", "子女", "户籍人口", "幸福里小区", "7号楼", "1单元", "101"],
    ]))
    assert job.status == JobStatus.FAILED
    lost = "身份证号码被 Excel 存成了数字，末几位已丢失：请把该列设置为“文本”格式后重新填写"
    assert job.errors == [[n, "证件号码", lost] for n in (6, 7, 8, 9)]
    assert not Person.objects.filter(name__startswith="郑").exists()
    report = xlsx.rows(client_for(users.worker_a).get(f"/imports/{job.pk}/errors.xlsx").content)
    assert report[1] == [6, "证件号码", lost]


def test_an_officer_of_several_communities_chooses_the_default_community(users, district, upload_file, client_for,
                                                                         xlsx):
    page = client_for(users.officer).get("/people/import/").content.decode()
    assert "默认社区/村" in page and "新华社区" in page and "幸福里社区" in page and "李庄村" not in page
    rows = [[1, "冯新", "男", resident_id("1977-02-02"), "", "户主", "户籍", "", "", "", ""]]
    job = upload_file(users.officer, own_ledger(rows, title="新华社区台账"))
    assert job.status == JobStatus.FAILED
    assert job.errors == [[4, "社区/村", "缺少列：社区/村。请使用下载的模板；也可以在导入页选择“默认社区/村”"]]

    # A forged choice outside the officer's scope is refused on the page, and nothing is queued.
    jobs = ImportJob.objects.count()
    response = client_for(users.officer).post("/people/import/", {
        "file": own_ledger(rows), "area": district.community_b.pk})
    assert response.status_code == 400
    assert "所选社区/村不在您的管辖范围内" in response.content.decode()
    assert ImportJob.objects.count() == jobs

    # Chosen: rows without a community go there; a community written in the file still wins.
    header = ["社区", *OWN_HEADER]
    job = upload_file(users.officer, own_ledger([
        ["", *rows[0]],
        ["幸福里社区", 2, "陈旧", "女", resident_id("1978-03-03"), "", "户主", "户籍", "", "", "", ""],
        ["", 3, "褚新", "女", resident_id("1979-04-04"), "", "", "暂住", "", "", "", ""],
    ], header=header), area=district.community_c.pk)
    assert job.status == JobStatus.DONE, job.errors
    assert Person.objects.get(name="冯新").area == district.community_c
    assert Person.objects.get(name="褚新").area == district.community_c
    assert Person.objects.get(name="陈旧").area == district.community_a
    assert "“社区/村”为空的 2 行导入到 新华社区" in job.notes and "列“社区” → 社区/村" in job.notes


def test_the_sex_column_serves_documents_other_than_the_resident_id(users, district, upload_file):
    header = ["姓名", "证件类型", "证件号码", "性别", "人口类型"]
    job = upload_file(users.worker_a, own_ledger([["安娜", "护照", "E12345678", "女性", "外来"],
                                                  ["张伟", "身份证", resident_id("1990-01-01"), "女", "本地"]],
                                                 header=header))
    assert job.status == JobStatus.DONE, job.errors
    assert Person.objects.get(name="安娜").sex == Sex.FEMALE
    assert "性别：“女性” → 女（1 行）" in job.notes and "证件类型：“身份证” → 居民身份证（1 行）" in job.notes


def test_errors_that_quote_a_cell_keep_no_identity_number_or_phone_whole(users, district, upload, client_for, xlsx):
    # Columns shifted by one: the identity number landed under 社区/村, the phone under 网格.
    number = resident_id("1968-04-05")
    shifted = row("刘建华", resident_id("1970-02-03"), community=number)
    shifted[1] = "13812345678"
    job = upload(users.worker_a, [shifted])
    assert job.status == JobStatus.FAILED
    stored = str(job.errors)
    assert number not in stored and "13812345678" not in stored
    assert f"“{number[:4]}{'*' * 10}{number[-4:]}”不在您的管辖范围内" in stored
    client = client_for(users.worker_a)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert number[:4] + "*" * 10 + number[-4:] in page and number not in page
    report = str(xlsx.rows(client.get(f"/imports/{job.pk}/errors.xlsx").content))
    assert number not in report and "13812345678" not in report


def test_the_templates_example_rows_import_as_they_are(users, district, upload, client_for, xlsx):
    # Staff copy the examples' shape; numbers that fail their own check character teach the wrong thing.
    rows = xlsx.rows(client_for(users.admin).get("/people/import/template.xlsx").content)
    job = upload(users.admin, [list(r) for r in rows[1:]], header=list(rows[0]))
    assert job.status == JobStatus.DONE, job.errors
    assert job.counts
