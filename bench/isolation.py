"""Isolation at district scale: the 每天清零 board over 50,000 isolated persons, and a bulk order of 10,000.

    .venv/bin/python bench/isolation.py [--persons 200000] [--isolated 50000] [--bulk 10000] [--samples 50]
    .venv/bin/python bench/isolation.py --small      # the small demo district, 2,000 isolated, 500 in bulk

Builds persons as bench/persons.py does (its own database, FANGKONG_BENCH_ISOLATION_DATABASE_URL), puts
--isolated of them under isolation (home, home monitoring, centralized) with their health codes, opens the
missed-monitoring tasks of yesterday (about two per person, most of them still open), then prints:
  - p50/p95 of /isolation/board/ (每天清零) for a district admin and a community worker, and the number of SQL
    queries of each for two sizes of the task table (it must not change);
  - the time to order --bulk persons into home isolation in one bulk action (isolation.services.bulk_order:
    checks, orders, audit rows, health codes and so the gate's verdict facts).
The last line reads `RESULT board_p95_ms=… worker_board_p95_ms=… bulk_order_s=…`. Goals: both p95 ≤ 100 ms,
bulk ≤ 10 s for 10,000. This is a benchmark, not a test: it prints figures and asserts nothing about time.
"""

import argparse
import datetime
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import persons as base  # noqa: E402  (the builders and the timing helpers of bench/persons.py)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench_isolation"
BATCH = 5_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=200_000, help="persons in the database (default 200000)")
    parser.add_argument("--isolated", type=int, default=50_000, help="persons under isolation (default 50000)")
    parser.add_argument("--bulk", type=int, default=10_000, help="persons ordered in one bulk action (default 10000)")
    parser.add_argument("--samples", type=int, default=50, help="timed requests per figure (default 50)")
    parser.add_argument("--small", action="store_true", help="a quick run on the small demo district")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_ISOLATION_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes that encrypt and load")
    args = parser.parse_args()
    if args.small:
        args.isolated, args.bulk, args.samples = min(args.isolated, 2_000), min(args.bulk, 500), min(args.samples, 20)
        if args.database_url == DEFAULT_URL:
            args.database_url += "_small"
    return args


def load_small():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo_district", size="small", stdout=io.StringIO())


def isolate(target: int):
    """Orders up to `target` isolating persons (written in bulk, then their health codes computed in bulk)."""
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.healthcode.services import recompute
    from fangkong.isolation import services
    from fangkong.isolation.models import IsolationOrder, Kind, State
    from fangkong.people.models import Person

    # Leave persons free for the bulk order (the small demo district has only about a thousand).
    target = min(target, int(Person.objects.count() * 0.7))
    have = IsolationOrder.objects.active().count()
    if have >= target:
        print(f"隔离人员 {have:,} 人已存在，沿用")
        return
    began = time.perf_counter()
    rng = random.Random(target)
    worker = User.objects.get(username="community_worker")
    taken = set(IsolationOrder.objects.values_list("person_id", flat=True))
    today = services.today()
    need = target - have
    rows = [row for row in Person.objects.exclude(pk__in=list(taken)).values(
        "pk", "area_id", "household__area_id", "household__grid_id").order_by("?")[:need]]
    print(f"新增 {len(rows):,} 名隔离人员…", flush=True)
    orders = []
    for row in rows:
        kind = rng.choices([Kind.HOME, Kind.HOME_MONITORING, Kind.CENTRALIZED], [5, 3, 2])[0]
        start = today - datetime.timedelta(days=rng.randrange(1, 14))
        code, token = services._new_codes()
        orders.append(IsolationOrder(
            person_id=row["pk"], area_id=row["household__area_id"] or row["area_id"],
            grid_id=row["household__grid_id"], kind=kind, reason="密切接触者", start=start,
            planned_end=start + datetime.timedelta(days=14), state=State.ISOLATING, worker=worker,
            verification_code=code, monitoring_token=token, created_by=worker))
    IsolationOrder.objects.bulk_create(orders, batch_size=BATCH)
    recompute([row["pk"] for row in rows])
    created = services.open_missed_tasks(today - datetime.timedelta(days=1))
    with connection.cursor() as cursor:
        for table in ("isolation_isolationorder", "isolation_monitoringtask", "healthcode_healthstatus"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  {len(orders):,} 条隔离，{created:,} 条未测温待办，用时 {time.perf_counter() - began:.0f} 秒", flush=True)


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    base.get(client, url)
    with CaptureQueriesContext(connection) as captured:
        base.get(client, url)
    return len(captured.captured_queries)


def bench_board(samples):
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.isolation.models import MonitoringTask

    clients = {}
    for who in ("district_admin", "community_worker"):
        clients[who] = Client()
        clients[who].force_login(User.objects.get(username=who))
    print(f"\n待办 {MonitoringTask.objects.open().count():,} 条未处理；机器 {os.cpu_count()} 核，负载 "
          f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    print("每天清零（目标 p95 ≤ 100 ms）：")
    for label, who in (("/isolation/board/ 区管理员", "district_admin"),
                       ("/isolation/board/ 社区工作人员", "community_worker")):
        base.timed(label, samples, lambda i, c=clients[who]: base.get(c, "/isolation/board/"), 100, rows)
    counts = {who: _queries(client, "/isolation/board/") for who, client in clients.items()}
    print("每页 SQL 查询数：" + "，".join(f"{who} {n}" for who, n in counts.items()))
    return rows, counts


def bench_bulk(size):
    from fangkong.accounts.models import User
    from fangkong.healthcode.models import HealthStatus
    from fangkong.isolation import services
    from fangkong.isolation.models import IsolationOrder, Kind
    from fangkong.people.models import Person

    admin = User.objects.get(username="district_admin")
    busy = IsolationOrder.objects.active().values("person_id")
    persons = list(Person.objects.exclude(pk__in=busy).only("pk").order_by("?")[:size])
    began = time.perf_counter()
    orders = services.bulk_order(persons, kind=Kind.HOME, user=admin, reason="同楼栋密接（基准）")
    seconds = time.perf_counter() - began
    marked = HealthStatus.objects.filter(person_id__in=[o.person_id for o in orders], isolation=Kind.HOME).count()
    print(f"\n批量下达居家隔离 {len(orders):,} 人：{seconds:.1f} 秒（目标 10,000 人 ≤ 10 秒），"
          f"健康码已标记 {marked:,} 人")
    return seconds


def main():
    args = parse_args()
    base.prepare_database(args.database_url, args.fresh)
    base.setup_django(args.database_url)
    if args.small:
        load_small()
    else:
        base.load(args.persons, max(1, args.workers))
    isolate(args.isolated)
    rows, counts = bench_board(max(2, args.samples))
    seconds = bench_bulk(args.bulk)
    by_label = {label: p95 for label, _p50, p95 in rows}
    print(f"RESULT board_p95_ms={by_label['/isolation/board/ 区管理员']:.0f} "
          f"worker_board_p95_ms={by_label['/isolation/board/ 社区工作人员']:.0f} bulk_order_s={seconds:.1f} "
          f"isolated={args.isolated} bulk={args.bulk} queries={counts['district_admin']}/{counts['community_worker']} "
          f"load={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
