"""Build a believable demo district: territory, grids, households, persons and one user per role.

Identity numbers are valid GB 11643 numbers under region code 410999, which belongs to no county,
so they are plainly synthetic; phone numbers use the 1990000 block.
"""

import json
import os
import random
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.core.identity import DocumentType, resident_id_check_char, resident_id_facts
from fangkong.people.models import HouseholdRole, Person, Residency
from fangkong.territory.models import Area, AreaLevel, Building, Compound, Grid, Household, Unit

DISTRICT = "东湖示范区"
SYNTHETIC_REGION = "410999"
SIZES = {
    # subdistricts, communities per subdistrict, compounds per community, buildings per compound
    "small": (2, 2, 2, 2),
    "district": (8, 8, 3, 8),
}
SUBDISTRICTS = ["东风街道", "文化路街道", "人民路街道", "花园路街道", "丰产路街道", "经八路街道", "南阳路街道",
                "祭城路街道", "杨金路街道", "北林路街道"]
COMMUNITY_NAMES = ["幸福里", "新华", "建设", "和平", "东明", "红旗", "金桥", "锦绣", "兴隆", "民主", "长青", "育才",
                   "光明", "顺河", "凤凰", "青年"]
COMPOUND_NAMES = ["小区", "家园", "花园", "苑", "公寓"]
VILLAGES = ["李庄村", "王寨村", "马头岗村"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕鹏辉建国志强海燕春梅文博子涵浩然欣怡雨轩"
ROOMS_PER_FLOOR, FLOORS, UNITS = 2, 6, 2
ROLES = [HouseholdRole.HEAD, HouseholdRole.SPOUSE, HouseholdRole.CHILD, HouseholdRole.PARENT, HouseholdRole.OTHER]
# Birth years of a household's head by household size (1, 2, 3, 4 or more): the head of a household with parents
# in it is young enough for them to be alive, the head of one with children old enough to have them.
HEAD_BORN = {1: (1940, 2000), 2: (1945, 1998), 3: (1955, 1992), 4: (1962, 1990)}
RETURNED_FROM = ["北京市", "上海市", "广东省深圳市", "浙江省杭州市", "湖北省武汉市", "境外"]
TODAY = date.today()  # noqa: DTZ011 (return dates a few weeks back; the exact day does not matter)


class Command(BaseCommand):
    help = "Load the demo district (idempotent). --size small (about 1,000 persons) or district (about 100,000)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=SIZES, default="small")
        parser.add_argument("--users-file", help="write the demo users as JSON to this path")
        parser.add_argument("--seed", type=int, default=2020)

    def handle(self, *args, size, users_file=None, seed=2020, **options):
        if settings.FANGKONG_ENV == "production":
            # Demo users with one known password, and made-up residents among the real ones: never in production.
            raise CommandError("演示数据不能装入生产环境（FANGKONG_ENV=production）：它会建立密码公开的演示账号。"
                               " Refusing to load demo data in production.")
        self.random = random.Random(seed)
        district = Area.objects.filter(parent=None, name=DISTRICT).first()
        if district is None:
            with transaction.atomic():
                district = self.build(*SIZES[size])
            state = "已建立"
        else:
            state = "已存在，保留原数据"
        self.stdout.write(f"演示辖区 {DISTRICT}{state}：{Person.objects.in_area(district).count():,} 人")
        users = self.users(district)
        from fangkong.passes import demo as passes_demo

        checkpoint_user = next(u for u, role in users if role == Role.CHECKPOINT_STAFF)
        from fangkong.enterprises import demo as enterprises_demo
        from fangkong.healthcode import demo as healthcode_demo
        from fangkong.isolation import demo as isolation_demo
        from fangkong.people import demo as people_demo
        from fangkong.screening import demo as screening_demo
        from fangkong.testing import demo as testing_demo
        from fangkong.tracing import demo as tracing_demo
        from fangkong.zones import demo as zones_demo

        workers = {None: [u for u, role in users if role == Role.COMMUNITY_WORKER]}
        for user, role in users:
            if role in (Role.COMMUNITY_WORKER, Role.GRID_WORKER):
                workers.setdefault(user.area_id, []).append(user)
        with transaction.atomic():
            passes_demo.build(district, size, self.random, checkpoint_user=checkpoint_user)
            passes_demo.give_enterprise_gates(next(u for u, role in users if role == Role.ENTERPRISE_ADMIN))
            people_demo.build(district, self.random, workers)
            screening_demo.build(district, self.random, workers)
            testing_demo.build(district, self.random, users)
            healthcode_demo.build(district, self.random, users)
            isolation_demo.build(district, self.random, users)
            zones_demo.build(district, self.random, users)
            enterprises_demo.build(district, self.random, users)
            tracing_demo.build(district, self.random, users)
        password = os.getenv("FANGKONG_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        for user, _role in users:
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write("\n演示账号（密码相同）：")
        for user, role in users:
            self.stdout.write(f"  {user.username:<22} {role.label:<10} {user.area.name}")
        self.stdout.write(f"\n密码：{password}\n")
        if users_file:
            with open(users_file, "w", encoding="utf-8") as fh:
                json.dump([{"username": u.username, "role": r.value, "area_id": u.area_id, "area_name": u.area.name}
                           for u, r in users], fh, ensure_ascii=False, indent=2)

    def build(self, subdistricts, communities, compounds, buildings):
        district = Area.objects.create(name=DISTRICT, code="410999", level=AreaLevel.DISTRICT)
        self.serial = 0
        self.used = set()
        names = iter(COMMUNITY_NAMES * 10)
        for s in range(subdistricts):
            sub = Area.objects.create(name=SUBDISTRICTS[s % len(SUBDISTRICTS)], level=AreaLevel.SUBDISTRICT,
                                      parent=district, code=f"410999{s + 1:03d}")
            for c in range(communities):
                village = c == communities - 1 and s % 2 == 1
                name = VILLAGES[s // 2 % len(VILLAGES)] if village else f"{next(names)}社区"
                community = Area.objects.create(name=name, level=AreaLevel.COMMUNITY, parent=sub,
                                                code=f"410999{s + 1:03d}{c + 1:03d}")
                self.community(community, compounds, buildings, village)
        return district

    def community(self, community, compounds, buildings, village):
        top = Grid.objects.create(area=community, name=f"{community.name}网格", level=1)
        seconds = [Grid.objects.create(area=community, parent=top, level=2, name=f"第{i + 1}网格") for i in range(3)]
        thirds = [Grid.objects.create(area=community, parent=g, level=3, name=f"{g.name}{j + 1}组")
                  for g in seconds for j in range(2)]
        households = []
        if village:
            for n in range(compounds * buildings * UNITS * FLOORS * ROOMS_PER_FLOOR):
                group = n % 6 + 1
                households.append(Household(area=community, grid=thirds[group - 1],
                                            address=f"{community.name}{group}组{n + 1}号"))
        else:
            street = self.random.choice(["文化路", "人民路", "金水路", "农业路", "经三路", "纬五路"])
            for i in range(compounds):
                base = community.name.removesuffix("社区")
                compound = Compound.objects.create(
                    area=community, grid=seconds[i % 3], name=f"{base}{COMPOUND_NAMES[i % len(COMPOUND_NAMES)]}",
                    address=f"{street}{self.random.randint(1, 300)}号")
                for b in range(buildings):
                    grid = thirds[(i * buildings + b) % len(thirds)]
                    building = Building.objects.create(compound=compound, name=f"{b + 1}号楼", grid=grid)
                    for u in range(UNITS):
                        unit = Unit.objects.create(building=building, name=f"{u + 1}单元")
                        for floor in range(1, FLOORS + 1):
                            for r in range(1, ROOMS_PER_FLOOR + 1):
                                room = f"{floor}{r:02d}"
                                households.append(Household(
                                    area=community, grid=grid, unit=unit, floor=floor, room=room,
                                    address=f"{compound.name}{building.name}{unit.name}{room}"))
        households = Household.objects.bulk_create(households, batch_size=2000)
        persons = []
        for household in households:
            if self.random.random() < 0.08:
                continue  # vacant
            floating = self.random.random() < 0.15
            size = self.random.choice([1, 2, 2, 3, 3, 3, 4, 5])
            head_year = self.random.randint(*HEAD_BORN[min(size, 4)])
            for n in range(size):
                role = ROLES[min(n, len(ROLES) - 1)]
                person = self.person(community, household, self.born_in(role, head_year))
                person.household_role = role
                person.residency = Residency.FLOATING if floating else Residency.PERMANENT
                if self.random.random() < 0.03:
                    person.returned_on = TODAY - timedelta(days=self.random.randint(0, 30))
                    person.returned_from = self.random.choice(RETURNED_FROM)
                person.vaccine_doses = self.random.choice([0, 2, 3, 3, 3])
                persons.append(person)
        Person.objects.bulk_create(persons, batch_size=2000)

    def born_in(self, role, head_year) -> int:
        """A birth year that fits the person's place in the household: a spouse of about the head's age,
        children born when the head was 22 to 38, parents 22 to 32 years older."""
        offset = {HouseholdRole.HEAD: (0, 0), HouseholdRole.SPOUSE: (-5, 5), HouseholdRole.CHILD: (22, 38),
                  HouseholdRole.PARENT: (-32, -22)}.get(role)
        if offset is None:  # 其他: a lodger or relative of any age
            return self.random.randint(1940, 2015)
        return min(2022, head_year + self.random.randint(*offset))

    def person(self, community, household, year):
        self.serial += 1
        month, day = self.random.randint(1, 12), self.random.randint(1, 28)
        sequence = self.serial % 1000
        first17 = f"{SYNTHETIC_REGION}{year}{month:02d}{day:02d}{sequence:03d}"
        while first17 in self.used:  # one number per person, as the unique constraint demands
            sequence = (sequence + 1) % 1000
            first17 = f"{SYNTHETIC_REGION}{year}{month:02d}{day:02d}{sequence:03d}"
        self.used.add(first17)
        number = first17 + resident_id_check_char(first17)
        born, sex = resident_id_facts(number)
        given = "".join(self.random.choice(GIVEN) for _ in range(self.random.choice([1, 2, 2])))
        person = Person(name=self.random.choice(SURNAMES) + given, sex=sex, birth_date=born, area=community,
                        household=household)
        person.set_document(DocumentType.RESIDENT_ID, number)
        person.set_phone(f"1990000{self.serial % 10000:04d}" if 16 <= 2026 - year <= 80 else "")
        return person

    def users(self, district):
        sub = district.children.order_by("pk").first()
        communities = list(Area.objects.subtree(district).filter(level=AreaLevel.COMMUNITY).order_by("pk"))
        other = next(c for c in communities if c.parent_id != communities[0].parent_id) \
            if any(c.parent_id != communities[0].parent_id for c in communities) else communities[1]
        grid = Grid.objects.filter(area=communities[0], level=2).order_by("pk").first()
        plan = [
            ("district_admin", "区管理员", Role.DISTRICT_ADMIN, district, None),
            # A second approver: an override needs someone other than its requester to decide it.
            ("district_admin2", "区管理员乙", Role.DISTRICT_ADMIN, district, None),
            ("subdistrict_officer", "街道干部", Role.SUBDISTRICT_OFFICER, sub, None),
            ("community_worker", "社区工作人员甲", Role.COMMUNITY_WORKER, communities[0], None),
            ("community_worker2", "社区工作人员乙", Role.COMMUNITY_WORKER, other, None),
            ("grid_worker", "网格员", Role.GRID_WORKER, communities[0], grid),
            ("checkpoint_staff", "卡点值守", Role.CHECKPOINT_STAFF, communities[0], None),
            ("enterprise_admin", "企业管理员", Role.ENTERPRISE_ADMIN, communities[0], None),
            ("inspector", "督查员", Role.INSPECTOR, sub, None),
            ("lab_staff", "采样员", Role.LAB_STAFF, communities[0], None),
            ("leader", "区领导", Role.LEADER, district, None),
            ("isolation_site_staff", "隔离点工作人员", Role.ISOLATION_SITE_STAFF, district, None),
        ]
        from django.contrib.auth.models import Group

        users = []
        for username, full_name, role, area, user_grid in plan:
            user, _created = User.objects.update_or_create(
                username=username,
                defaults={"full_name": full_name, "area": area, "grid": user_grid,
                          "is_staff": role == Role.DISTRICT_ADMIN})
            user.groups.set([Group.objects.get(name=role.value)])
            if user_grid is not None:
                user_grid.members.add(user)
            users.append((user, role))
        return users
