"""Tracing at scale: the contacts search of a case with 30 visits over 10,000,000 passages, and the bulk action
on 1,000 contacts, in PostgreSQL.

    .venv/bin/python bench/tracing.py [--passages 10000000] [--persons 300000] [--places 3000] [--samples 100]
                                      [--fresh] [--explain]

Builds (once; reused afterwards) a district with persons and places, and passages as stays (an entry and an
exit 5 to 180 minutes later) over the last 28 days, all generated inside PostgreSQL (generate_series) with the
passages' indexes built after the load. A case gets 30 stays at 30 places in the last 14 days, and 1,000
persons get a stay overlapping one of them. Then prints:

  - p50/p95 of the contacts search (tracing.services.search_contacts: the co-location query, household and
    workplace) for the case's trace, and of the same co-location search as hand-written SQL on a bare psycopg
    cursor (tracing.services.CO_LOCATION_SQL with its parameters built once);
  - the seconds of the bulk action (tracing.services.act) on 1,000 contacts: key-person screenings, isolation
    orders, health codes recomputed and tasks;

and last:  RESULT contacts_p95_ms=… raw_p95_ms=… ratio=… act_1000_s=…   (ratio = contacts / raw).
Each run removes the previous run's trace, screenings and orders first. A benchmark: it asserts nothing.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import persons as person_bench  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench_tracing"
DAYS = 28
CONTACTS = 1000
VISITS = 30


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=300_000)
    parser.add_argument("--places", type=int, default=3_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the co-location query")
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_TRACING_DATABASE_URL", DEFAULT_URL))
    return parser.parse_args()


def say(text):
    print(text, flush=True)


def build(args):
    """Territory, persons, places and passages, generated in SQL; skipped when the passages are there."""
    from django.db import connection

    from fangkong.passes.models import Passage
    from fangkong.territory.models import Area, AreaLevel

    if Passage.objects.count() >= args.passages:
        return
    began = time.perf_counter()
    district = Area.objects.create(name="基准区", code="419901", level=AreaLevel.DISTRICT)
    sub = Area.objects.create(name="基准街道", code="419901001", level=AreaLevel.SUBDISTRICT, parent=district)
    communities = [Area.objects.create(name=f"基准社区{n}", code=f"419901001{n:03d}", level=AreaLevel.COMMUNITY,
                                       parent=sub) for n in range(20)]
    first, count = communities[0].pk, len(communities)
    kinds = "{venue,compound_gate,checkpoint,organisation,enterprise_gate,traffic}"
    with connection.cursor() as cursor:
        say(f"写入 {args.persons:,} 人、{args.places:,} 个场所（generate_series）…")
        # Persons: the encrypted columns hold placeholders (the search never reads them); unique blind indexes.
        cursor.execute(f"""
            INSERT INTO people_person (name, sex, birth_date, id_type, id_number_encrypted, id_index, id_tail4_index,
                id_tail6_index, phone_encrypted, phone_index, phone_tail4_index, area_id, household_id,
                household_role, residency, returned_from, workplace, vaccine_doses, created_at, updated_at)
            SELECT '基准' || i, 'U', DATE '1980-01-01', 'resident_id', 'x', md5('id' || i), md5('t4' || i),
                   md5('t6' || i), '', '', '', {first} + i %% {count}, NULL, '', 'permanent', '',
                   CASE WHEN i %% 50 = 0 THEN '基准单位' || (i / 50) %% 500 ELSE '' END, 0, now(), now()
            FROM generate_series(1, %s) AS i""", [args.persons])
        cursor.execute(f"""
            INSERT INTO passes_place (area_id, name, kind, address, contact_name, contact_phone_encrypted, state,
                state_reason, measures_temperature, records_exit, policy, code, code_issued_at, applied_at,
                decided_at)
            SELECT {first} + i %% {count}, '基准场所' || i, ('{kinds}'::text[])[1 + i %% 6], '基准路' || i, '张三', '',
                   'approved', '', false, true, 'standard', md5('place' || i), now(), now(), now()
            FROM generate_series(1, %s) AS i""", [args.places])
        cursor.execute("SELECT min(id), max(id) FROM people_person")
        person_lo, person_hi = cursor.fetchone()
        cursor.execute("SELECT min(id), max(id) FROM passes_place")
        place_lo, place_hi = cursor.fetchone()
        say(f"写入 {args.passages:,} 条出入记录（入、出成对；先去掉索引，写完再建）…")
        cursor.execute("""SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'passes_passage'
                          AND indexname NOT LIKE '%%pkey'""")
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            # (the unique key's constraint goes with its index and comes back as a unique index)
            cursor.execute(f'ALTER TABLE passes_passage DROP CONSTRAINT IF EXISTS "{name}"')
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SET session_replication_role = replica")  # no foreign-key trigger per row while loading
        stays, chunk = args.passages // 2, 500_000
        for start in range(0, stays, chunk):
            end = min(stays, start + chunk)
            cursor.execute(f"""
                WITH s AS (
                    SELECT i, {person_lo} + (hashint8(i) & 2147483647) %% ({person_hi - person_lo + 1}) AS person_id,
                           {place_lo} + (hashint8(i + 7) & 2147483647) %% ({place_hi - place_lo + 1}) AS place_id,
                           now() - make_interval(secs => (hashint8(i + 13) & 2147483647) %% ({DAYS} * 86400)) AS at,
                           5 + (hashint8(i + 17) & 2147483647) %% 176 AS minutes
                    FROM generate_series(%s, %s) AS i)
                INSERT INTO passes_passage (person_id, place_id, area_id, direction, at, verdict, reasons, channel,
                                            vehicle_plate, idempotency_key)
                SELECT s.person_id, s.place_id, {first} + s.place_id %% {count}, d.direction,
                       CASE WHEN d.direction = 'in' THEN s.at ELSE s.at + make_interval(mins => s.minutes) END,
                       'allow', '[]', 'scan', '', 'b' || s.i || d.direction
                FROM s CROSS JOIN (VALUES ('in'), ('out')) AS d(direction)""", [start + 1, end])
            say(f"  {end * 2:,} / {stays * 2:,}（{time.perf_counter() - began:.0f} 秒）")
        cursor.execute("SET session_replication_role = DEFAULT")
        say("建索引…")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table in ("passes_passage", "people_person", "passes_place", "territory_area"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    say(f"  用时 {time.perf_counter() - began:.0f} 秒")


def scene():
    """The case (30 stays at 30 places in the last 14 days) and 1,000 persons who met it, added each run."""
    import datetime
    import uuid

    from django.utils import timezone

    from fangkong.passes.models import Channel, Direction, Passage, Place, Verdict
    from fangkong.people.models import Person

    case = Person.objects.filter(name="基准病例").first()
    if case is None:  # a person of their own: none of the generated passages are theirs
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO people_person (name, sex, birth_date, id_type, id_number_encrypted, id_index,
                    id_tail4_index, id_tail6_index, phone_encrypted, phone_index, phone_tail4_index, area_id,
                    household_id, household_role, residency, returned_from, workplace, vaccine_doses, created_at,
                    updated_at)
                SELECT '基准病例', 'U', DATE '1980-01-01', 'resident_id', 'x', md5('case'), md5('case4'),
                       md5('case6'), '', '', '', area_id, NULL, '', 'permanent', '', '', 0, now(), now()
                FROM people_person ORDER BY id LIMIT 1""")
        case = Person.objects.get(name="基准病例")
    places = list(Place.objects.order_by("pk")[:VISITS])
    Passage.objects.filter(idempotency_key__startswith="case-").delete()
    now = timezone.now()
    rows = []

    def stay(person_id, place, at, minutes, key):
        for direction, when in ((Direction.IN, at), (Direction.OUT, at + datetime.timedelta(minutes=minutes))):
            rows.append(Passage(person_id=person_id, place=place, area_id=place.area_id, direction=direction, at=when,
                                verdict=Verdict.ALLOW, channel=Channel.SCAN, idempotency_key=f"{key}-{direction}"))

    starts = [now - datetime.timedelta(hours=11 * (n + 1)) for n in range(VISITS)]
    for n, place in enumerate(places):
        stay(case.pk, place, starts[n], 60, f"case-{n}")
    met = list(Person.objects.exclude(pk=case.pk).order_by("-pk").values_list("pk", flat=True)[:CONTACTS])
    for n, person_id in enumerate(met):
        stay(person_id, places[n % VISITS], starts[n % VISITS] + datetime.timedelta(minutes=n % 50), 20,
             f"case-met-{n}-{uuid.uuid4().hex[:8]}")
    Passage.objects.bulk_create(rows, batch_size=5000)
    return case, met


def clean():
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in ("DELETE FROM tracing_contacttask", "DELETE FROM tracing_markchange",
                    "DELETE FROM tracing_riskplace", "DELETE FROM tracing_contact", "DELETE FROM tracing_visit",
                    "DELETE FROM tracing_trace", "DELETE FROM isolation_isolationorder WHERE source = 'tracing'",
                    "DELETE FROM screening_screening WHERE source = 'tracing'"):
            cursor.execute(sql)


def main():
    args = parse_args()
    person_bench.prepare_database(args.database_url, args.fresh)
    person_bench.setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build(args)
    from django.db import connection, connections
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.passes.models import Passage
    from fangkong.screening.models import Category
    from fangkong.tracing import services

    clean()
    user = User.objects.filter(username="bench_tracer").first() or User.objects.create_superuser(
        username="bench_tracer", password=None, full_name="基准流调员")
    case, met = scene()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) passes_passage")  # the visibility map: index-only scans
    trace = services.open_trace(case, timezone.localdate(), user=user)
    visits = list(trace.visits.filter(wrong=False).values_list("pk", "place_id", "start", "end"))
    total = Passage.objects.count()
    say(f"\n{total:,} 条出入记录；病例 {len(visits)} 处轨迹；接触者 {trace.contacts.count():,} 人")
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    say(f"机器：{os.cpu_count()} 核，负载（1/5/15 分钟）{load}")

    params = services.co_location_params(visits, [case.pk])  # built once, outside the timing
    if args.explain:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + services.CO_LOCATION_SQL, params)
            say("\n".join(row[0] for row in cursor.fetchall()))
    raw = connections["default"].connection  # the bare psycopg connection, without Django's layer

    def raw_search(_i):
        with raw.cursor() as cursor:
            cursor.execute(services.CO_LOCATION_SQL, params)
            return cursor.fetchall()

    found = len(raw_search(0))
    _p50, contacts_p95 = person_bench.timed("接触者查找（search_contacts）", args.samples,
                                            lambda i: services.search_contacts(trace), goal_ms=50)
    _p50, raw_p95 = person_bench.timed("同一查询（手写 SQL，psycopg）", args.samples, raw_search)
    say(f"  时空伴随 {found:,} 人")

    persons = met[:CONTACTS]
    category = Category.objects.get(code="close_contact")
    began = time.perf_counter()
    result = services.act(trace, persons, category=category, isolation_kind="home", user=user)
    act_seconds = time.perf_counter() - began
    verdict = "  达标" if act_seconds <= 10 else "  未达标（目标 ≤ 10 秒）"
    say(f"  批量转入管控 {len(persons):,} 人：{act_seconds:.2f} 秒（重点人员 {result.screenings}，"
        f"隔离 {result.orders}，任务 {result.tasks}）{verdict}")
    ratio = contacts_p95 / raw_p95 if raw_p95 else 0
    say(f"结束时负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(f"RESULT contacts_p95_ms={contacts_p95:.1f} raw_p95_ms={raw_p95:.1f} ratio={ratio:.2f} "
        f"act_1000_s={act_seconds:.2f}")


if __name__ == "__main__":
    main()
