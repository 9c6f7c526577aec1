"""Enterprises in the demo district: a park (园区) with a dozen enterprises in every state of reopening, one in
closed loop whose roster of 683 has 492 on duty today (72 %, capacity 70 %, as the district reports said), a
week of check-ins and problems in every state. Registry, rosters, applications and problems go through the
services (audited); the week of check-ins is written in bulk, once."""

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.core.identity import resident_id_check_char
from fangkong.people.models import Person

from . import services
from .models import CheckIn, CheckInSource, ChecklistItem, DayFigure, Employee, Enterprise, EnterpriseGate, Park
from .models import State as EnterpriseState

BIG_ROSTER, BIG_PRESENT, BIG_CAPACITY = 683, 492, 70
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚华玉萍红玲燕鹏辉"
REGION = "410997"  # its own synthetic region: never a number of the demo ledger (410999)
# (name, sector, size, roster, where its application stands)
PLAN = [
    ("东湖食品有限公司", "manufacturing", "large", BIG_ROSTER, "approved"),
    ("东湖精密机械厂", "manufacturing", "medium", 40, "approved"),
    ("东湖物流园", "logistics", "medium", 35, "approved"),
    ("东湖建工集团", "construction", "large", 30, "approved"),
    ("东湖云数据科技", "it", "small", 18, "approved"),
    ("东湖医药配送中心", "trade", "medium", 24, "district"),
    ("东湖服装加工厂", "manufacturing", "small", 20, "subdistrict"),
    ("东湖包装材料厂", "manufacturing", "small", 15, "community"),
    ("东湖商贸城", "trade", "large", 25, "returned"),
    ("东湖酒店管理公司", "food", "medium", 12, "draft"),
    ("东湖印刷厂", "manufacturing", "micro", 8, "none"),
    ("东湖咨询服务公司", "services", "micro", 6, "none"),
]
PROBLEMS = [("workers", "熟练工返岗不足，缺30人", "closed"),
            ("materials", "包装膜供应商未复工，库存仅够3天", "answered"),
            ("logistics", "外省原料车辆通行证办理", "taken"), ("supplies", "口罩、消毒液储备不足", "open"),
            ("financing", "流动资金紧张，申请贴息贷款", "open"), ("other", "职工子女托管", "open")]


def credit_code(serial: int) -> str:
    """A unified social credit code with a valid GB 32100 checksum (plainly synthetic: 9141 0999 ...)."""
    body = f"91410999MA{serial:07d}"
    body = body.replace("I", "J").replace("O", "P")
    total = sum(services.CREDIT_CHARS.index(c) * w for c, w in zip(body, services.CREDIT_WEIGHTS, strict=True))
    return body + services.CREDIT_CHARS[(31 - total % 31) % 31]


def _numbers(rng, count, used):
    while count:
        born = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 35))
        first17 = f"{REGION}{born:%Y%m%d}{rng.randrange(800, 1000):03d}"
        number = first17 + resident_id_check_char(first17)
        if number in used:
            continue
        used.add(number)
        count -= 1
        yield number


def build(district, rng: random.Random, users):
    if Enterprise.objects.in_area(district).exists():
        return
    by_role = {}
    for user, role in users:
        by_role.setdefault(str(role), user)
    admin, boss = by_role["district_admin"], by_role["enterprise_admin"]
    officer, worker = by_role["subdistrict_officer"], by_role["community_worker"]
    community = worker.area
    park = Park.objects.create(name="东湖食品工业园", area=community.parent or community)
    if not ChecklistItem.objects.exists():
        from .defaults import CHECKLIST

        for position, (group, text, attachment) in enumerate(CHECKLIST, start=1):
            ChecklistItem.objects.create(group=group, text=text, needs_attachment=attachment, position=position)
    known = list(Person.objects.in_area(community).in_ledger().order_by("pk")[:60])
    used = set()
    enterprises = []
    for serial, (name, sector, size, roster, stage) in enumerate(PLAN, start=1):
        enterprise = services.create_enterprise({
            "name": name, "credit_code": credit_code(serial), "sector": sector, "size": size,
            "area": community, "park": park, "address": f"东湖大道{serial * 8}号", "contact_name": "行政部",
            "contact_phone": f"19900{serial:06d}", "liaison_officer": rng.choice(["李明", "王芳", "张伟"])},
            user=worker)
        enterprise.admins.add(boss)
        # Ledger residents work at two of them (matched by blind index); the closed-loop one's roster is all
        # new people, so the demo's gate passages do not move its 492.
        people = known[:roster // 2] if serial in (2, 3) else []
        known = known[len(people):]
        for person in people:
            services.add_employee(enterprise, {"name": person.name, "id_number": person.id_number,
                                               "department": "生产部"}, user=boss)
        for n, number in enumerate(_numbers(rng, roster - len(people), used)):
            services.add_employee(enterprise, {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "id_number": number, "department": ["生产部", "仓储部", "后勤部", "质检部"][n % 4],
                "shift": ["白班", "夜班"][n % 2], "lodging": "dormitory" if n % 3 else "home",
                "returned_from": rng.choice(["", "", "郑州市", "开封市", "上海市"])}, user=boss)
        _application(enterprise, stage, boss, worker, officer, admin)
        enterprises.append(enterprise)
    big = enterprises[0]
    for gate in big.area.places.filter(kind="enterprise_gate").exclude(enterprise_gate__isnull=False)[:2]:
        EnterpriseGate.objects.create(place=gate, enterprise=big)
    services.set_closed_loop(big, on=True, reason="园区周边出现阳性病例，实行闭环生产", user=worker)
    today = timezone.localdate()
    services.schedule_testing(big, starts_on=today, ends_on=today + datetime.timedelta(days=6), user=worker)
    services.log_delivery(big, goods="面粉 20 吨", plate="豫A12345", driver="张师傅", user=boss)
    _week_of_checkins(enterprises, rng, today)
    for kind, text, state in PROBLEMS:
        problem = services.report_problem(rng.choice(enterprises[:8]), kind=kind, text=text, user=boss)
        if state in ("taken", "answered", "closed"):
            services.take_problem(problem, user=officer)
        if state in ("answered", "closed"):
            services.answer_problem(problem, answer="已协调相关部门，正在办理", user=officer)
        if state == "closed":
            services.close_problem(problem, user=officer)


def _application(enterprise, stage, boss, worker, officer, admin):
    if stage == "none":
        return
    application = services.start_application(enterprise, user=boss)
    for item in ChecklistItem.objects.filter(active=True):
        files = [SimpleUploadedFile(f"{item.group}{item.pk}.pdf", _scan_pdf(item.text))] if item.needs_attachment \
            else []
        services.answer_item(application, item, text="已落实，详见企业防控方案", user=boss, files=files)
    if stage == "draft":
        return
    services.submit(application, user=boss)
    reviewers = {"community": [], "subdistrict": [worker], "district": [worker, officer],
                 "approved": [worker, officer, admin], "returned": []}[stage]
    for reviewer in reviewers:
        services.review(application, approve=True, user=reviewer)
    if stage == "returned":
        services.review(application, approve=False, reason="防疫物资储备清单不全，请补充", user=worker)


def _scan_pdf(text) -> bytes:
    """A one-page PDF standing in for the scanned document an enterprise uploads."""
    from reportlab.pdfgen import canvas

    from fangkong.core.pdf import cjk_font

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.setFont(cjk_font()[0], 14)
    pdf.drawString(72, 760, text[:40])
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _week_of_checkins(enterprises, rng, today):
    now = timezone.now()
    rows, figures = [], []
    approved = set(Enterprise.objects.filter(pk__in=[e.pk for e in enterprises], state=EnterpriseState.APPROVED)
                   .values_list("pk", flat=True))
    for enterprise in enterprises:
        if enterprise.pk not in approved:
            continue
        staff = list(Employee.objects.filter(enterprise=enterprise, active=True).values_list("pk", flat=True))
        for back in range(7):
            day = today - datetime.timedelta(days=back)
            if enterprise.name == PLAN[0][0] and back == 0:
                present = BIG_PRESENT
            else:
                present = round(len(staff) * rng.uniform(0.6, 0.9))
            at = now - datetime.timedelta(days=back, hours=2)
            for pk in rng.sample(staff, present):
                rows.append(CheckIn(enterprise=enterprise, employee_id=pk, day=day, at=at,
                                    temperature=f"36.{rng.randrange(1, 8)}", source=CheckInSource.PHONE))
            figures.append(DayFigure(enterprise=enterprise, day=day, present=present,
                                     capacity_percent=BIG_CAPACITY if back == 0 and enterprise.name == PLAN[0][0]
                                     else rng.randrange(50, 95)))
    CheckIn.objects.bulk_create(rows, batch_size=2000)
    DayFigure.objects.bulk_create(figures)
