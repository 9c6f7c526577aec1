"""Enterprises at district scale: the on-duty table over 5,000 enterprises and 500,000 employees, and a roster page.

    .venv/bin/python bench/enterprises.py [--enterprises 5000] [--employees 500000] [--samples 100]
    .venv/bin/python bench/enterprises.py --small     # the small demo district, 500 enterprises, 20,000 employees

Builds persons as bench/persons.py does (its own database, FANGKONG_BENCH_ENTERPRISES_DATABASE_URL), then
--enterprises enterprises over the communities (sectors mixed) and --employees employees (one person each),
today's check-ins for about 72 % of them and a capacity figure per enterprise, written in bulk. Then prints:
  - p50/p95 of the district's on-duty table /enterprises/on-duty/ (by sector, as a district admin), and of a
    community officer's;
  - p50/p95 of an enterprise's roster page /enterprises/<id>/roster/ (50 a page, masked names and numbers) as
    its enterprise admin, for enterprises of about the average roster;
  - the number of SQL queries of each page.
The last line reads `RESULT onduty_p95_ms=… roster_p95_ms=…`. Goal: each p95 ≤ 100 ms.
This is a benchmark, not a test: it prints figures and asserts nothing about time.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import persons as base  # noqa: E402  (the builders and the timing helpers of bench/persons.py)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench_enterprises"
SECTORS = ["manufacturing", "construction", "logistics", "trade", "food", "it", "services", "other"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=5_000)
    parser.add_argument("--employees", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=100, help="timed requests per figure (default 100)")
    parser.add_argument("--small", action="store_true", help="a quick run: 500 enterprises, 20,000 employees")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_ENTERPRISES_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes that encrypt and load")
    args = parser.parse_args()
    if args.small:
        args.enterprises, args.employees, args.samples = 500, 20_000, min(args.samples, 30)
        if args.database_url == DEFAULT_URL:
            args.database_url += "_small"
    return args


def build(enterprises: int, employees: int):
    """Enterprises, employees (the first persons without a job), today's check-ins and capacities, in SQL."""
    from django.db import connection
    from django.utils import timezone

    from fangkong.enterprises.models import Enterprise
    from fangkong.territory.models import Area, AreaLevel

    have = Enterprise.objects.count()
    if have >= enterprises:
        print(f"已有 {have:,} 家企业，沿用", flush=True)
        count(timezone.localdate())
        return
    began = time.perf_counter()
    communities = list(Area.objects.filter(level=AreaLevel.COMMUNITY).values_list("pk", flat=True))
    rng = random.Random(enterprises)
    from fangkong.enterprises.demo import credit_code

    rows = [(f"企业{n:05d}", credit_code(100_000 + n), SECTORS[n % len(SECTORS)], "small",
             communities[n % len(communities)], rng.choice(["approved"] * 8 + ["closed", "applying"]))
            for n in range(have, enterprises)]
    today = timezone.localdate()
    now = timezone.now()
    with connection.cursor() as cursor:
        with cursor.copy("COPY enterprises_enterprise (name, credit_code, sector, size, area_id, state, address, "
                         "contact_name, contact_phone_encrypted, liaison_officer, closed_loop, closed_loop_reason, "
                         "created_at, roster_count) FROM STDIN") as copy:
            for name, code, sector, size, area, state in rows:
                copy.write_row((name, code, sector, size, area, state, "", "", "", "", False, "", now, 0))
        # Employees: persons in turn, spread over the enterprises (about `employees / enterprises` each).
        cursor.execute("""
            INSERT INTO enterprises_employee (enterprise_id, person_id, department, shift, returned_from, lodging,
                                              duplicate_note, active, checkin_token, created_at)
            SELECT e.ids[1 + (p.n %% array_length(e.ids, 1))], p.id, '', '', '', 'home', '', true,
                   md5(p.id::text || random()::text), now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM people_person ORDER BY id LIMIT %s) p,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM enterprises_enterprise) e
            ON CONFLICT DO NOTHING""", [employees])
        cursor.execute("""
            INSERT INTO enterprises_checkin (enterprise_id, employee_id, day, at, temperature, symptoms, source)
            SELECT enterprise_id, id, %s, now(), 36.5, false, 'phone' FROM enterprises_employee
            WHERE random() < 0.72 ON CONFLICT DO NOTHING""", [today])
    count(today)
    print(f"企业 {Enterprise.objects.count():,} 家，职工写入用时 {time.perf_counter() - began:.0f} 秒", flush=True)


def count(today):
    """The counters the services keep one by one (roster_count, today's present), set for the bulk rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE enterprises_enterprise en SET roster_count = c.n
            FROM (SELECT enterprise_id, count(*) AS n FROM enterprises_employee WHERE active
                  GROUP BY enterprise_id) c
            WHERE c.enterprise_id = en.id AND en.roster_count <> c.n""")
        cursor.execute("""
            INSERT INTO enterprises_dayfigure (enterprise_id, day, present, capacity_percent)
            SELECT en.id, %(day)s, coalesce(c.n, 0), 50 + en.id %% 45 FROM enterprises_enterprise en
            LEFT JOIN (SELECT enterprise_id, count(*) AS n FROM enterprises_checkin WHERE day = %(day)s
                       GROUP BY enterprise_id) c ON c.enterprise_id = en.id
            ON CONFLICT (enterprise_id, day) DO UPDATE SET present = EXCLUDED.present""", {"day": today})
        for table in ("enterprises_enterprise", "enterprises_employee", "enterprises_checkin",
                      "enterprises_dayfigure"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        base.get(client, url)
    return len(captured.captured_queries)


def measure(samples: int):
    from django.db.models import Count, Q
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.enterprises.models import CheckIn, Employee, Enterprise
    from fangkong.territory.models import AreaLevel

    admin = User.objects.get(username="district_admin")
    worker = User.objects.get(username="community_worker")
    total, employees = Enterprise.objects.count(), Employee.objects.count()
    print(f"\n{total:,} 家企业，{employees:,} 名职工，今日打卡 {CheckIn.objects.count():,} 条；"
          f"负载 {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)
    district_client, worker_client = Client(), Client()
    district_client.force_login(admin)
    worker_client.force_login(worker)
    assert admin.area.level == AreaLevel.DISTRICT
    figures = []
    onduty = base.timed("区到岗率表 /enterprises/on-duty/（区管理员）", samples,
                        lambda i: base.get(district_client, "/enterprises/on-duty/", contains="到岗率"), 100, figures)
    base.timed("社区到岗率表（社区工作人员）", samples,
               lambda i: base.get(worker_client, "/enterprises/on-duty/"), 100, figures)
    # Rosters of about the average size, each opened by its own enterprise admin.
    average = employees // max(total, 1)
    picked = list(Enterprise.objects.annotate(n=Count("employees", filter=Q(employees__active=True)))
                  .filter(n__gte=average * 0.8, n__lte=average * 1.2).order_by("?")[:20])
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=Role.ENTERPRISE_ADMIN.value)
    clients = []
    for enterprise in picked:
        boss, _created = User.objects.get_or_create(username=f"bench_boss_{enterprise.pk}",
                                                    defaults={"area_id": enterprise.area_id, "full_name": "企业管理员"})
        boss.groups.set([group])
        enterprise.admins.add(boss)
        client = Client()
        client.force_login(boss)
        clients.append((client, enterprise))
    roster = base.timed(f"企业职工名册 /enterprises/<id>/roster/（约 {average} 人）", samples,
                        lambda i: base.get(clients[i % len(clients)][0],
                                           f"/enterprises/{clients[i % len(clients)][1].pk}/roster/"), 100, figures)
    print(f"  SQL 查询：区到岗率表 {count_queries(district_client, '/enterprises/on-duty/')} 条，"
          f"名册 {count_queries(clients[0][0], f'/enterprises/{clients[0][1].pk}/roster/')} 条", flush=True)
    print(f"\nuptime: {os.popen('uptime').read().strip()}")
    print(f"RESULT onduty_p95_ms={onduty[1]:.1f} roster_p95_ms={roster[1]:.1f}")


def main():
    args = parse_args()
    base.prepare_database(args.database_url, args.fresh)
    base.setup_django(args.database_url)
    if args.small:
        from bench.isolation import load_small

        load_small()  # the small demo district first: base.load then only adds persons to it
    base.load(args.employees + (2_000 if args.small else 100_000), args.workers)
    build(args.enterprises, args.employees)
    measure(args.samples)


if __name__ == "__main__":
    main()
