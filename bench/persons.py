"""Persons at district scale: list pages and identity lookups over 1,000,000 persons in PostgreSQL.

    .venv/bin/python bench/persons.py [--persons 1000000] [--fresh] [--samples 200] [--explain]

Prints p50/p95 of
  - the person list page /people/ (50 per page) as a district admin and as a community worker,
    and a search there by the last 4 digits of an identity number;
    (a count of 50,000 or more is cached for a minute by fangkong.core.pages; one line shows the page
    when the count is not cached, which one request a minute pays);
  - a lookup by full identity number, through the ORM (Person.objects.with_document(...).first())
    and through the API (/api/persons/?q=<number>, with a token as API clients do, and with a session);
and the number of SQL queries per list page and API page for page sizes 10, 50 and 200 (it must not
grow with the page size), with the machine's load and the row count.

Pages go through Django's test Client (force_login, all middleware, templates, decryption of the
masked numbers), in this process, against a real PostgreSQL database. The database (fangkong_bench
by default) is created on the first run and reused afterwards; --fresh drops and reloads it. Loading:
`demo_district --size district` builds the territory and about 100,000 persons, then persons are added
with COPY up to --persons, encrypted by Person.set_document / set_phone in one process per core.

This is a benchmark, not a test: it prints figures and asserts nothing about time.
"""

import argparse
import datetime
import io
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench"
# Bulk persons use their own synthetic region code, so their numbers never meet the demo's (410999).
BULK_REGION = "410997"  # not 410998: the passes demo's visitors use it
BIRTH_START = datetime.date(1935, 1, 1)
BIRTH_DAYS = 32000  # 1935 .. 2022
CHUNK = 25_000
PERSONS_PER_HOUSEHOLD = 2.8
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕鹏辉建国志海春梅文博子涵浩然欣怡雨轩"
PERSON_COLUMNS = ["name", "sex", "birth_date", "id_type", "id_number_encrypted", "id_index", "id_tail4_index",
                  "id_tail6_index", "phone_encrypted", "phone_index", "phone_tail4_index", "area_id", "household_id",
                  "created_at", "updated_at", "household_role", "residency", "returned_from", "workplace",
                  "vaccine_doses"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons in the database (default 1000000)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--samples", type=int, default=200, help="timed requests per figure (default 200)")
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"PostgreSQL database to use (default {DEFAULT_URL}, or FANGKONG_BENCH_DATABASE_URL)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes that encrypt and load")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the list page queries")
    return parser.parse_args()


# --- database -------------------------------------------------------------------------------------

def prepare_database(url: str, fresh: bool):
    """Create the database if missing (drop it first with --fresh), before Django connects to it."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        sys.exit(f"unexpected database name {name!r}")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"数据库 {name} 已创建")
        else:
            print(f"数据库 {name} 已存在，沿用（--fresh 重建）")


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    # Pages are fetched with force_login; the admin's second factor is not what is measured here.
    os.environ["FANGKONG_REQUIRE_ADMIN_OTP"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- loading --------------------------------------------------------------------------------------

def bulk_number(serial: int) -> str:
    """A valid resident ID, distinct for every serial: the birth day and the sequence code both vary.

    serial = block * 1000 + r: the block picks the birth day (an injective stride over 32,000 days),
    r picks the 3-digit sequence code (a permutation of 0..999), so the last 4-6 digits are spread as
    in real numbers and no two serials share the first 17 characters.
    """
    from fangkong.core.identity import resident_id_check_char

    block, r = divmod(serial, 1000)
    if block >= BIRTH_DAYS:
        raise ValueError("too many persons for the synthetic number space")
    born = BIRTH_START + datetime.timedelta(days=block * 7919 % BIRTH_DAYS)
    sequence = (r * 7 + block * 13) % 1000
    first17 = f"{BULK_REGION}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


_HOUSEHOLDS: list[tuple[int, int]] = []


def _load_chunk(task):
    """One worker's share: build `count` persons with the real encryption, COPY them in one transaction."""
    import psycopg
    from django.conf import settings
    from django.utils import timezone

    from fangkong.core.identity import DocumentType, resident_id_facts
    from fangkong.people.models import Person

    start, count, seed = task
    households = _HOUSEHOLDS
    rng = random.Random(seed)
    person = Person()  # only its set_document / set_phone are used: the same code path as every save
    now = timezone.now()
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
                         dbname=db["NAME"]) as conn:
        with conn.cursor() as cursor, cursor.copy(
                f"COPY people_person ({', '.join(PERSON_COLUMNS)}) FROM STDIN") as copy:
            for serial in range(start, start + count):
                number = bulk_number(serial)
                born, sex = resident_id_facts(number)
                person.set_document(DocumentType.RESIDENT_ID, number)
                adult = 16 <= 2026 - born.year <= 80
                person.set_phone(f"199{serial % 100_000_000:08d}" if adult or rng.random() < 0.2 else "")
                household_id, area_id = households[rng.randrange(len(households))]
                name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
                copy.write_row((name, sex, born, DocumentType.RESIDENT_ID, person.id_number_encrypted,
                                person.id_index, person.id_tail4_index, person.id_tail6_index,
                                person.phone_encrypted, person.phone_index, person.phone_tail4_index, area_id,
                                household_id, now, now, "", "permanent", "", "", 3))
    return count


def add_households(count: int) -> list[tuple[int, int]]:
    """`count` more households spread over the communities (new buildings), as (household id, area id)."""
    from fangkong.territory.models import Area, AreaLevel, Grid, Household

    communities = list(Area.objects.filter(level=AreaLevel.COMMUNITY).order_by("pk"))
    grids = {}
    for grid in Grid.objects.filter(level=3).order_by("pk"):
        grids.setdefault(grid.area_id, []).append(grid)
    existing = Household.objects.count()
    rng = random.Random(existing)
    batch = []
    for n in range(count):
        community = communities[n % len(communities)]
        k = existing + n
        building, rest = divmod(k // len(communities), 48)  # 4 units x 6 floors x 2 rooms
        unit, room = divmod(rest, 12)
        floor, door = room // 2 + 1, f"{room // 2 + 1}{room % 2 + 1:02d}"
        batch.append(Household(area=community, grid=rng.choice(grids.get(community.pk, [None])), floor=floor,
                               room=door, address=f"{community.name}新区{building + 1}号楼{unit + 1}单元{door}"))
    created = Household.objects.bulk_create(batch, batch_size=5000)
    return [(h.pk, h.area_id) for h in created]


def load(target: int, workers: int):
    from django.core.management import call_command
    from django.db import connection, connections

    from fangkong.people.models import Person
    from fangkong.territory.models import Area

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Area.objects.filter(parent=None).exists():
        print("生成演示辖区（demo_district --size district）…", flush=True)
        call_command("demo_district", size="district", stdout=io.StringIO())
        print(f"  {Person.objects.count():,} 人，用时 {time.perf_counter() - began:.0f} 秒", flush=True)
    have = Person.objects.count()
    need = target - have
    if need > 0:
        step = time.perf_counter()
        households = add_households(int(need / PERSONS_PER_HOUSEHOLD))
        print(f"新增 {len(households):,} 户；加密并写入 {need:,} 人（{workers} 个进程，COPY）…", flush=True)
        tasks = []
        for n, start in enumerate(range(have, target, CHUNK)):
            tasks.append((start, min(CHUNK, target - start), n))
        global _HOUSEHOLDS
        _HOUSEHOLDS = households  # inherited by the forked workers, not pickled per task
        connections.close_all()  # the workers are forked: each opens its own connection
        done = 0
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for count in pool.imap_unordered(_load_chunk, tasks):
                done += count
                rate = done / (time.perf_counter() - step)
                print(f"  {done:,} / {need:,} 人（{rate:,.0f} 人/秒）", flush=True)
        print(f"  写入用时 {time.perf_counter() - step:.0f} 秒", flush=True)
    step = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("people_person", "territory_household", "territory_area", "auth_group", "accounts_user"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"VACUUM ANALYZE 用时 {time.perf_counter() - step:.1f} 秒", flush=True)


# --- measuring ------------------------------------------------------------------------------------

def percentiles(samples_ms):
    ordered = sorted(samples_ms)
    p95 = statistics.quantiles(ordered, n=100, method="inclusive")[94] if len(ordered) > 1 else ordered[0]
    return statistics.median(ordered), p95


def timed(label, samples, call, goal_ms=None, rows=None):
    for _ in range(min(5, samples)):  # warm up connections, caches and templates
        call(0)
    times, cpu = [], []
    for i in range(samples):
        began, began_cpu = time.perf_counter(), time.process_time()
        call(i)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    p50, p95 = percentiles(times)
    verdict = "" if goal_ms is None else ("  达标" if p95 <= goal_ms else f"  未达标（目标 p95 ≤ {goal_ms} ms）")
    # CPU: this process only (Django, templates, decryption), not PostgreSQL; it varies less with load.
    print(f"  {label:<44} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {max(times):7.1f} ms"
          f"   CPU p50 {statistics.median(cpu):5.1f} ms{verdict}", flush=True)
    if rows is not None:
        rows.append((label, p50, p95))
    return p50, p95


def get(client, url, expect_status=200, contains=None):
    response = client.get(url)
    if response.status_code != expect_status:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    if contains is not None and contains not in response.content.decode():
        raise SystemExit(f"{url}: {contains!r} not in the page")
    return response


def sample_numbers(n, seed, area=None):
    """Full identity numbers of `n` random persons (decrypted here, outside the timed part)."""
    from django.db.models import Max, Min

    from fangkong.people.models import Person

    rng = random.Random(seed)
    persons = Person.objects.all() if area is None else Person.objects.filter(area=area)
    bounds = persons.aggregate(low=Min("pk"), high=Max("pk"))
    found = []
    while len(found) < n:
        ids = [rng.randint(bounds["low"], bounds["high"]) for _ in range(n * 2)]
        found += [p.id_number for p in persons.filter(pk__in=ids).only("id_number_encrypted")]
    return found[:n]


def explain(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    print(f"\nEXPLAIN ANALYZE：{url}")
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or "django_session" in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"  -- {float(query['time']) * 1000:.1f} ms  {sql[:160]}{'…' if len(sql) > 160 else ''}")
        for line in plan:
            print("     " + line)


def query_counts(admin_client, worker_client):
    from functools import partial
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangkong.core import pages

    print("\n每页 SQL 查询数（应与每页条数无关）：")
    print(f"  {'页面':<36}" + "".join(f"{f'每页 {size}':>10}" for size in (10, 50, 200)))
    for who, client in (("区管理员", admin_client), ("社区工作人员", worker_client)):
        for label, url in ((f"/people/ {who}", "/people/"), (f"/people/?page=2 {who}", "/people/?page=2")):
            counts = []
            for size in (10, 50, 200):
                with mock.patch("fangkong.people.views.paginate", partial(pages.paginate, per_page=size)):
                    get(client, url)  # first request of the size: nothing cached differs
                    with CaptureQueriesContext(connection) as captured:
                        get(client, url)
                counts.append(len(captured.captured_queries))
            print(f"  {label:<36}" + "".join(f"{n:>10}" for n in counts))
        counts = []
        for size in (10, 50, 200):
            get(client, f"/api/persons/?page_size={size}")
            with CaptureQueriesContext(connection) as captured:
                response = get(client, f"/api/persons/?page_size={size}")
            assert len(response.json()["results"]) == size
            counts.append(len(captured.captured_queries))
        print(f"  {f'/api/persons/ {who}':<36}" + "".join(f"{n:>10}" for n in counts))


def measure(samples: int, show_plans: bool):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from fangkong.accounts import tokens
    from fangkong.accounts.models import User
    from fangkong.core.identity import DocumentType
    from fangkong.people.models import Person

    admin = User.objects.get(username="district_admin")
    worker = User.objects.get(username="community_worker")
    admin_client, worker_client = Client(), Client()
    admin_client.force_login(admin)
    worker_client.force_login(worker)
    # API clients (other systems) authenticate with a token: no session to read and save per request.
    token_client = Client(HTTP_AUTHORIZATION=f"Token {tokens.issue(admin, verified=True)[1]}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM people_person")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(",")[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('people_person'))")
        size = cursor.fetchone()[0]
    in_community = Person.objects.filter(area=worker.area).count()
    print(f"\n{version}；people_person {total:,} 行（{size}）；社区工作人员所在 {worker.area.name} {in_community:,} 人")
    print(f"机器：{os.cpu_count()} 核，负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"每项 {samples} 次请求（另有预热），经 Django 测试客户端走完整中间件和模板；时间为毫秒。\n")

    numbers = sample_numbers(samples, 1)
    worker_numbers = sample_numbers(samples, 2, area=worker.area)
    rows = []
    print("人员列表（每页 50 人，目标 p95 ≤ 100 ms）：")
    timed("/people/ 区管理员 第1页", samples, lambda i: get(admin_client, "/people/", contains="共 "), 100, rows)

    def uncached(i):
        cache.clear()  # every request counts the whole district again (what one request a minute pays)
        get(admin_client, "/people/")

    timed("/people/ 区管理员 第1页（人数未缓存）", max(10, samples // 4), uncached, None, rows)
    timed("/people/?page=2..20 区管理员", samples,
          lambda i: get(admin_client, f"/people/?page={2 + i % 19}"), 100, rows)
    timed("/people/ 社区工作人员 第1页", samples, lambda i: get(worker_client, "/people/"), 100, rows)
    timed("/people/?q=证件号后4位 区管理员", samples,
          lambda i: get(admin_client, f"/people/?q={numbers[i][-4:]}"), 100, rows)
    timed("/people/?q=证件号后4位 社区工作人员", samples,
          lambda i: get(worker_client, f"/people/?q={worker_numbers[i][-4:]}"), 100, rows)
    print("\n按证件号码查人（目标 p95 ≤ 10 ms）：")

    def orm_lookup(i):
        person = Person.objects.with_document(DocumentType.RESIDENT_ID, numbers[i]).first()
        assert person is not None

    def api_lookup(client):
        def call(i):
            response = get(client, f"/api/persons/?q={numbers[i]}")
            assert response.json()["count"] == 1, numbers[i]
        return call

    timed("Person.objects.with_document(...).first()", samples, orm_lookup, 10, rows)
    timed("/api/persons/?q=<完整证件号> 区管理员 令牌", samples, api_lookup(token_client), 10, rows)
    timed("/api/persons/?q=<完整证件号> 区管理员 会话", samples, api_lookup(admin_client), 10, rows)
    print("\n其他（参考）：")
    timed("/ 首页 区管理员（各级人数、户数）", max(10, samples // 4), lambda i: get(admin_client, "/"), None, rows)
    detail_ids = list(Person.objects.filter(area=worker.area).values_list("pk", flat=True)[:50])
    timed("/people/<id>/ 详情 社区工作人员", samples,
          lambda i: get(worker_client, f"/people/{detail_ids[i % len(detail_ids)]}/"), None, rows)

    query_counts(admin_client, worker_client)
    print(f"\n结束时负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    if show_plans:
        explain(admin_client, "/people/")
        explain(worker_client, "/people/")
        explain(admin_client, f"/people/?q={numbers[0][-4:]}")
    return rows


def main():
    args = parse_args()
    prepare_database(args.database_url, args.fresh)
    setup_django(args.database_url)
    load(args.persons, max(1, args.workers))
    measure(max(2, args.samples), args.explain)


if __name__ == "__main__":
    main()
