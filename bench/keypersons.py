"""Key persons at district scale: the key-person list and the daily report over 50,000 screenings.

    .venv/bin/python bench/keypersons.py [--persons 1000000] [--key-persons 50000] [--fresh] [--samples 100]

Builds the persons of bench/persons.py (same database, same builders: demo district, then persons by
COPY), adds --key-persons screenings spread over the communities and categories (most open, some under
control, some released or closed, a share not followed up today: overdue) with their follow-ups, and
prints p50/p95 of
  - the key-person list /key-persons/ as a district admin and as a community worker;
  - reports:district (/reports/district/) as a district admin, today and an earlier day, and as a
    subdistrict officer;
  - reports:today (/reports/) as a community worker;
and the number of SQL queries per page for two page sizes and two days (it must not change), with the
machine's load. The last line starts with RESULT.

bench/ledger.py calls `bench_reports(samples)` once its own data is loaded.
This is a benchmark, not a test: it prints figures and asserts nothing about time.
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import persons as base  # noqa: E402  (the builders and the timing helpers of bench/persons.py)

KEY_PERSONS = 50_000
BATCH = 5_000
# Of the open screenings, the share followed up today; the rest are overdue (the daily report's 未跟进).
FOLLOWED_TODAY = 0.85


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons in the database (default 1000000)")
    parser.add_argument("--key-persons", type=int, default=KEY_PERSONS, help="screenings (default 50000)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--samples", type=int, default=100, help="timed requests per figure (default 100)")
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_DATABASE_URL", base.DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes that encrypt and load")
    return parser.parse_args()


def add_key_persons(target: int):
    """Screenings up to `target`, one per person (so the one-open-per-category rule holds), and follow-ups."""
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.people.models import Person
    from fangkong.screening.models import ACTIVE_STATES, Category, FollowUp, Screening, Source, State
    from fangkong.screening.services import today

    have = Screening.objects.count()
    if have >= target:
        print(f"重点人员 {have:,} 条已存在，沿用")
        return
    began = time.perf_counter()
    rng = random.Random(target)
    day = today()
    categories = list(Category.objects.filter(active=True).order_by("position"))
    weights = [12, 6, 3, 4, 4, 6, 3, 2, 3, 1, 1][:len(categories)] + [1] * max(0, len(categories) - 11)
    worker = User.objects.get(username="community_worker")
    taken = set(Screening.objects.values_list("person_id", flat=True))
    # Persons spread over every community: a random sample of ids (the table is large; no ORDER BY random()).
    bounds = Person.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    need = target - have
    chosen = []
    while len(chosen) < need:
        ids = rng.sample(range(low, high + 1), min(need * 2, high - low + 1))
        for row in Person.objects.filter(pk__in=ids).values("pk", "area_id", "household__grid_id"):
            if row["pk"] not in taken and len(chosen) < need:
                taken.add(row["pk"])
                chosen.append(row)
    print(f"新增 {need:,} 名重点人员（排查）及跟进记录…", flush=True)
    screenings = []
    for row in chosen:
        category = rng.choices(categories, weights)[0]
        reported = day - datetime.timedelta(days=rng.randrange(0, 21))
        roll = rng.random()
        if roll < 0.08:
            closed = reported + datetime.timedelta(days=rng.randrange(0, (day - reported).days + 1))
            state = State.RELEASED
        elif roll < 0.10:
            state, closed = rng.choice([State.NOT_FOUND, State.LEFT]), reported
        else:
            state, closed = rng.choice(ACTIVE_STATES + [State.UNDER_CONTROL] * 2), None
        if state in ACTIVE_STATES:
            last = day if rng.random() < FOLLOWED_TODAY else rng.choice([None, day - datetime.timedelta(days=1)])
            if last is not None and last < reported:
                last = None
        else:
            last = closed
        screenings.append(Screening(
            person_id=row["pk"], category=category, area_id=row["area_id"], grid_id=row["household__grid_id"],
            source=rng.choice(Source.values), origin="", reported_on=reported, worker=worker,
            follow_up=category.follow_up, control_until=reported + datetime.timedelta(days=category.follow_up_days),
            state=state, closed_on=closed, last_follow_up_on=last, created_by=worker))
    created = Screening.objects.bulk_create(screenings, batch_size=BATCH)
    follow_ups = []
    for screening in created:
        if screening.last_follow_up_on is not None:
            follow_ups.append(FollowUp(screening=screening, on=screening.last_follow_up_on, temperature="36.5",
                                       by=worker))
            earlier = screening.last_follow_up_on - datetime.timedelta(days=1)
            if earlier >= screening.reported_on and rng.random() < 0.7:
                follow_ups.append(FollowUp(screening=screening, on=earlier, temperature="36.4", by=worker))
    FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
    with connection.cursor() as cursor:
        for table in ("screening_screening", "screening_followup", "screening_dailyreport"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  {len(created):,} 条排查，{len(follow_ups):,} 条跟进，用时 {time.perf_counter() - began:.0f} 秒",
          flush=True)


def _page_exists(client, url) -> bool:
    try:
        return client.get(url).status_code == 200
    except Exception as exc:  # the page's view is not there yet, or fails: say so, measure the rest
        print(f"  {url}: {type(exc).__name__}: {str(exc)[:120]}")
        return False


def _queries(client, url, patch_target=None, size=None):
    from functools import partial
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangkong.core import pages

    patcher = mock.patch(patch_target, partial(pages.paginate, per_page=size)) if patch_target else None
    if patcher:
        patcher.start()
    try:
        base.get(client, url)  # first request: caches (subtree ids, counts) filled
        with CaptureQueriesContext(connection) as captured:
            base.get(client, url)
    finally:
        if patcher:
            patcher.stop()
    return len(captured.captured_queries)


def bench_reports(samples: int = 100, admin_username="district_admin", worker_username="community_worker"):
    """Time the key-person list and the daily report pages; returns [(label, p50, p95)] and query counts."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.screening.models import Screening
    from fangkong.screening.services import today

    admin = User.objects.get(username=admin_username)
    worker = User.objects.get(username=worker_username)
    officer = User.objects.filter(groups__name=Role.SUBDISTRICT_OFFICER).first()
    if officer is None:
        officer, _created = User.objects.get_or_create(username="bench_officer", defaults={
            "full_name": "街道干部（基准）", "area": worker.area.parent})
        officer.groups.set([Group.objects.get(name=Role.SUBDISTRICT_OFFICER)])
    clients = {}
    for who, user in (("admin", admin), ("worker", worker), ("officer", officer)):
        clients[who] = Client()
        clients[who].force_login(user)
    day = today()
    earlier = (day - datetime.timedelta(days=3)).isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM screening_screening")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM screening_followup")
        follow_ups = cursor.fetchone()[0]
    in_community = Screening.objects.filter(area=worker.area).count()
    print(f"\n重点人员（排查）{total:,} 条，跟进 {follow_ups:,} 条；社区工作人员所在 {worker.area.name} "
          f"{in_community:,} 条；街道干部 {officer.username}（{officer.area.name}）")
    print(f"机器：{os.cpu_count()} 核，负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"每项 {samples} 次请求（另有预热），经 Django 测试客户端走完整中间件和模板；时间为毫秒。\n")

    rows = []
    pages = [
        ("/key-persons/ 区管理员", "admin", "/key-persons/"),
        ("/key-persons/ 社区工作人员", "worker", "/key-persons/"),
        ("/reports/district/ 区管理员 今天", "admin", "/reports/district/"),
        (f"/reports/district/?day={earlier} 区管理员", "admin", f"/reports/district/?day={earlier}"),
        ("/reports/district/ 街道干部", "officer", "/reports/district/"),
        ("/reports/ 社区工作人员（今日日报）", "worker", "/reports/"),
    ]
    missing = []
    print("页面（目标 p95 ≤ 100 ms）：")
    for label, who, url in pages:
        if not _page_exists(clients[who], url):
            missing.append(url)
            print(f"  {label:<44} 页面不可用，未测")
            continue
        base.timed(label, samples, lambda i, c=clients[who], u=url: base.get(c, u), 100, rows)
    # A download, not a page: shown for information, outside the pages' goal.
    print("下载（不计入页面目标）：")
    base.timed("/reports/district/export.xlsx 区管理员", max(10, samples // 5),
               lambda i, c=clients["admin"]: base.get(c, "/reports/district/export.xlsx"))

    print("\n每页 SQL 查询数（应与每页条数、日期无关）：")
    counts = {}
    checks = [
        ("/key-persons/ 区管理员", "admin", "/key-persons/", "fangkong.screening.views.paginate"),
        ("/key-persons/ 社区工作人员", "worker", "/key-persons/", "fangkong.screening.views.paginate"),
        ("/reports/ 社区工作人员", "worker", "/reports/", "fangkong.screening.views_reports.paginate"),
    ]
    print(f"  {'页面':<40}{'每页 10':>10}{'每页 200':>10}")
    for label, who, url, target in checks:
        if url in missing:
            continue
        try:
            found = [_queries(clients[who], url, target, size) for size in (10, 200)]
        except (AttributeError, ModuleNotFoundError):  # the view does not paginate through that name
            found = [_queries(clients[who], url)] * 2
        counts[label] = found
        print(f"  {label:<40}" + "".join(f"{n:>10}" for n in found))
    print(f"  {'页面':<40}{'今天':>10}{earlier:>12}")
    for label, who in (("/reports/district/ 区管理员", "admin"), ("/reports/district/ 街道干部", "officer")):
        found = [_queries(clients[who], url) for url in ("/reports/district/", f"/reports/district/?day={earlier}")]
        counts[label] = found
        print(f"  {label:<40}" + "".join(f"{n:>10}" for n in found))
    constant = all(len(set(found)) == 1 for found in counts.values())
    print(f"\n结束时负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    return rows, counts, constant, missing


def main():
    args = parse_args()
    base.prepare_database(args.database_url, args.fresh)
    base.setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    base.load(args.persons, max(1, args.workers))
    add_key_persons(args.key_persons)
    rows, counts, constant, missing = bench_reports(max(2, args.samples))
    worst = max(rows, key=lambda row: row[2]) if rows else ("-", 0, 0)
    figures = " ".join(f"{label.split()[0]}[{label.split()[1]}]_p95={p95:.0f}ms" for label, _p50, p95 in rows)
    print(f"RESULT keypersons={args.key_persons} persons={args.persons} worst_p95={worst[2]:.0f}ms ({worst[0]}) "
          f"queries_constant={'yes' if constant else 'NO'} missing={','.join(missing) or '-'} {figures} "
          f"load={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
