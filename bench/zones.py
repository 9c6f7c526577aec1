#!/usr/bin/env python
"""Risk zones at scale: sealing a compound of 10,000 persons, and the unlock timetable with 500 zones.

    .venv/bin/python bench/zones.py [--persons 10000] [--zones 500] [--samples 50]

Builds its own database (FANGKONG_BENCH_ZONES_DATABASE_URL, default fangkong_bench_zones, recreated each run):
one district, one community with a compound of --persons persons (3 a household, 34 households a building) and
--zones small zones elsewhere. Then prints
  - seal_s: the time from create_zone (checks, zone, coverage, history, audit, the households' rows the gate
    joins, the timetable) until one read of every resident with the gate's own SQL (passes.services.
    gate_person_sql) sees each of them sealed;
  - timetable_p95_ms: the p95 of GET /zones/timetable/ as a district admin with --zones active zones.
The last line reads `RESULT seal_s=… timetable_p95_ms=…`. Goals: seal ≤ 10 s, p95 ≤ 100 ms. A benchmark, not a
test: it prints figures and asserts nothing about time.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench_zones"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--zones", type=int, default=500)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_ZONES_DATABASE_URL", DEFAULT_URL))
    return parser.parse_args()


def fresh_database(url):
    name = url.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


def build(persons_wanted, zones_wanted):
    from django.core.management import call_command
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.people.models import Person
    from fangkong.territory.models import Area, AreaLevel, Building, Compound, Household, Unit
    from fangkong.zones.models import ZoneKind

    call_command("migrate", verbosity=0)
    district = Area.objects.create(name="基准区", code="410199", level=AreaLevel.DISTRICT)
    community = Area.objects.create(name="基准社区", code="410199001001", level=AreaLevel.COMMUNITY, parent=district)
    other = Area.objects.create(name="其他社区", code="410199001002", level=AreaLevel.COMMUNITY, parent=district)
    compound = Compound.objects.create(area=community, name="基准小区")
    households_wanted = -(-persons_wanted // 3)
    units = [Unit.objects.create(building=Building.objects.create(compound=compound, name=f"{b + 1}号楼"), name="1单元")
             for b in range(-(-households_wanted // 34))]
    homes = Household.objects.bulk_create([
        Household(area=community, unit=units[i // 34], room=str(100 + i % 34), address=f"基准小区{i // 34 + 1}号楼{i}")
        for i in range(households_wanted)])
    from bench.persons import bulk_number
    from fangkong.core.identity import DocumentType, resident_id_facts

    persons = []
    for i in range(persons_wanted):
        number = bulk_number(i)
        born, sex = resident_id_facts(number)
        person = Person(name=f"居民{i}", sex=sex, birth_date=born, area=community, household=homes[i // 3])
        person.set_document(DocumentType.RESIDENT_ID, number)
        persons.append(person)
    Person.objects.bulk_create(persons, batch_size=5_000)
    # The other zones: one household each, in the other community.
    others = Household.objects.bulk_create([Household(area=other, address=f"其他{i}") for i in range(zones_wanted)])
    admin = User.objects.create_superuser(username="bench_admin", password=None, area=district)
    from fangkong.zones import services

    kinds = [ZoneKind.SEALED, ZoneKind.CONTROLLED, ZoneKind.PRECAUTION]
    for index, home in enumerate(others):
        services.create_zone(user=admin, kind=kinds[index % 3], name=f"区域{index}", reason="基准",
                             households=[home.pk])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return admin, compound, homes


def seal(admin, compound, persons_wanted):
    from django.db import connection

    from fangkong.passes.services import gate_person_sql
    from fangkong.zones import services
    from fangkong.zones.models import ZoneKind

    columns, joins = gate_person_sql()
    began = time.perf_counter()
    services.create_zone(user=admin, kind=ZoneKind.SEALED, name="基准小区封控区", reason="发现阳性",
                         compounds=[compound.pk])
    with connection.cursor() as cursor:  # every resident as the gate reads them: the zone's kind is a column
        cursor.execute(f"SELECT zz.kind FROM people_person p {joins} WHERE p.area_id = %s",
                       [compound.area_id])
        kinds = [row[0] for row in cursor.fetchall()]
    elapsed = time.perf_counter() - began
    sealed = sum(kind == ZoneKind.SEALED for kind in kinds)
    print(f"封控 {len(kinds):,} 人：{elapsed:.2f} s，闸机读到封控 {sealed:,} 人")
    assert sealed == len(kinds) == persons_wanted, "every resident must read as sealed"
    return elapsed


def timetable_p95(admin, samples):
    from django.test import Client

    client = Client()
    client.force_login(admin)
    assert client.get("/zones/timetable/").status_code == 200
    timings = []
    for _index in range(samples):
        began = time.perf_counter()
        response = client.get("/zones/timetable/")
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"解封时间表：p50 {statistics.median(timings):.1f} ms，p95 {p95:.1f} ms（{samples} 次）")
    return p95


def main():
    args = parse_args()
    fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    began = time.perf_counter()
    admin, compound, _homes = build(args.persons, args.zones)
    print(f"准备数据：{args.persons:,} 人，{args.zones} 个其他区域，{time.perf_counter() - began:.1f} s")
    seal_s = seal(admin, compound, args.persons)
    p95 = timetable_p95(admin, args.samples)
    print(f"RESULT seal_s={seal_s:.2f} timetable_p95_ms={p95:.1f}")


if __name__ == "__main__":
    main()
