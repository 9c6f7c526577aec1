"""Export 1,000,000 passages of one district to xlsx through the real export code path, and measure it.

    .venv/bin/python bench/checkin.py --export [--export-rows 1000000]

bench/checkin.py points Django at its benchmark database (fangkong_bench_checkin) and calls
`export_benchmark(rows)`. The database gets the schema and the small demo district when it lacks
them (bench/checkin.py's load_demo), then passages in the district are topped up to `rows` with one
INSERT ... SELECT from generate_series per batch (spread over the demo's approved places and persons
and over the last 21 days; verdicts, temperatures, channels, plates and a few corrections as the
site writes them; unique idempotency keys), and ANALYZE.

The export then goes the way the page's does: the district admin POSTs an empty search to
/passages/export/ (form, scope, ExportJob row); the queued Celery message is caught instead of sent,
and the task function runs synchronously in a fresh Python process (as a worker would run it), so
that its peak memory is that process's alone: VmHWM, read inside it. (getrusage's ru_maxrss, in the
child or as RUSAGE_CHILDREN here, is printed too, but Linux carries the forking process's peak over
the exec into it, so it shows this process's size when that is larger.) The file is read back with
openpyxl in read-only mode to confirm the row count (not timed), then deleted.
Goal (issue 4): 1,000,000 passages in <= 60 s with <= 300 MB.

This is a benchmark, not a test: it prints figures and asserts nothing about time.
"""

import json
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 60
GOAL_MB = 300
DAYS = 21
BATCH = 250_000
CORRECTION_EVERY = 2_000  # one passage in this many is a correction of an earlier one

# One INSERT per batch: each row draws its place (skewed towards the first places, the government
# compound among them), person, moment, temperature, verdict, direction and channel.
FILL_SQL = """
WITH places AS (
    SELECT row_number() OVER (ORDER BY id) AS n, id, area_id, measures_temperature, records_exit, policy
    FROM passes_place WHERE state = 'approved' AND area_id = ANY(%(areas)s)
), persons AS (
    SELECT row_number() OVER (ORDER BY id) AS n, id FROM people_person WHERE area_id = ANY(%(areas)s)
), draws AS (
    SELECT g,
           1 + floor(power(random(), 2) * (SELECT count(*) FROM places))::bigint AS place_n,
           1 + floor(random() * (SELECT count(*) FROM persons))::bigint AS person_n,
           random() AS r_time, random() AS r_temp, random() AS r_fever, random() AS r_warn,
           random() AS r_dir, random() AS r_channel
    FROM generate_series(%(first)s, %(last)s) AS g
), rows AS (
    SELECT d.g, pe.id AS person_id, pl.id AS place_id, pl.area_id, pl.records_exit, pl.policy,
           d.r_time, d.r_warn, d.r_dir, d.r_channel,
           CASE WHEN pl.measures_temperature
                THEN round((36.1 + d.r_temp * 0.9 + CASE WHEN d.r_fever < 0.004 THEN 1.4 ELSE 0 END)::numeric, 1)
           END AS temperature
    FROM draws d JOIN places pl ON pl.n = d.place_n JOIN persons pe ON pe.n = d.person_n
)
INSERT INTO passes_passage (person_id, place_id, area_id, direction, at, temperature, verdict, reasons,
                            channel, vehicle_plate, recorder_id, corrects_id, idempotency_key)
SELECT person_id, place_id, area_id,
       CASE WHEN records_exit AND r_dir < 0.45 THEN 'out' ELSE 'in' END,
       now() - r_time * %(days)s * interval '1 day',
       temperature,
       CASE WHEN temperature >= 37.3 THEN 'deny' WHEN policy = 'residents' AND r_warn < 0.06 THEN 'warn'
            ELSE 'allow' END,
       CASE WHEN temperature >= 37.3 THEN jsonb_build_array('体温 ' || temperature || '℃ 偏高，请到临时留观点复测')
            WHEN policy = 'residents' AND r_warn < 0.06 THEN '["非本小区住户，请核实登记"]'::jsonb
            ELSE '[]'::jsonb END,
       CASE WHEN r_channel < 0.90 THEN 'scan' WHEN r_channel < 0.96 THEN 'assisted'
            WHEN r_channel < 0.99 THEN 'vehicle' ELSE 'api' END,
       CASE WHEN r_channel >= 0.96 AND r_channel < 0.99 THEN '豫A' || lpad((g %% 100000)::text, 5, '0') ELSE '' END,
       CASE WHEN r_channel >= 0.90 THEN %(recorder)s END,
       NULL,
       'bx' || %(token)s || '-' || g
FROM rows
"""

# Corrections restate a passage with its temperature re-measured, recorded by the checkpoint staff.
CORRECT_SQL = """
INSERT INTO passes_passage (person_id, place_id, area_id, direction, at, temperature, verdict, reasons,
                            channel, vehicle_plate, recorder_id, corrects_id, idempotency_key)
SELECT person_id, place_id, area_id, direction, at + interval '2 minutes', 36.5, 'allow', '[]'::jsonb,
       'assisted', vehicle_plate, %(recorder)s, id, 'bxc' || %(token)s || '-' || id
FROM passes_passage
WHERE idempotency_key LIKE %(pattern)s
LIMIT %(n)s
"""


def mb(kilobytes: int) -> float:
    return kilobytes / 1024  # ru_maxrss is in KiB on Linux


def memory_kb(field: str) -> int:
    """VmRSS (resident memory now) or VmHWM (its peak) of this process, in KiB (Linux)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{field}:"))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- database -------------------------------------------------------------------------------------

def ensure_database():
    """The benchmark database with the schema and the small demo district (left as it is when present)."""
    import psycopg

    from bench.checkin import DB, PG, load_demo

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB}"')
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from fangkong.district.management.commands.demo_district import DISTRICT
    from fangkong.territory.models import Area

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending or not Area.objects.filter(parent=None, name=DISTRICT).exists():
        print("loading the schema and the small demo district ...", flush=True)
        load_demo()
    return Area.objects.get(parent=None, name=DISTRICT)


def fill(district, admin, rows: int) -> int:
    """Top the district's passages up to `rows`; returns how many there are."""
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.passes.models import Passage

    have = Passage.objects.visible_to(admin).count()
    missing = rows - have
    if missing <= 0:
        return have
    recorder = User.objects.get(username="checkpoint_staff").pk
    areas = list(district.subtree_ids())
    token = secrets.token_hex(4)
    corrections = missing // CORRECTION_EVERY
    generated = missing - corrections
    print(f"adding {missing:,} passages to the {have:,} in the district ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for first in range(1, generated + 1, BATCH):
            last = min(first + BATCH - 1, generated)
            cursor.execute(FILL_SQL, {"areas": areas, "first": first, "last": last, "days": DAYS,
                                      "recorder": recorder, "token": token})
            print(f"  {last:,} / {generated:,}  {time.perf_counter() - started:.0f} s", flush=True)
        if corrections:
            cursor.execute(CORRECT_SQL, {"recorder": recorder, "token": token, "pattern": f"bx{token}-%",
                                         "n": corrections})
        cursor.execute("ANALYZE passes_passage")
    count = Passage.objects.visible_to(admin).count()
    print(f"  done in {time.perf_counter() - started:.0f} s: {count:,} passages in the district", flush=True)
    return count


# --- the export -----------------------------------------------------------------------------------

def create_job(admin):
    """The job the export button makes: a POST of the (empty) search form as the district admin."""
    from unittest import mock

    from django.test import Client

    client = Client()
    client.force_login(admin)
    with mock.patch("fangkong.core.tasks.run_export") as task:
        response = client.post("/passages/export/", {})
    if response.status_code != 302 or not task.delay.called:
        raise SystemExit(f"the export page did not queue a job: {response.status_code}")
    from fangkong.core.models import ExportJob

    return ExportJob.objects.get(pk=task.delay.call_args.args[0])


def run_job(job_id: int):
    """In the fresh process: the Celery task's body, run synchronously; prints its figures as JSON."""
    import django

    django.setup()
    from fangkong.core.models import ExportJob
    from fangkong.core.tasks import run_export

    before = memory_kb("VmRSS")
    started, cpu = time.perf_counter(), time.process_time()
    run_export(job_id)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    job = ExportJob.objects.get(pk=job_id)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_before_kb": before,
                      "rss_after_kb": memory_kb("VmRSS"), "rss_peak_kb": memory_kb("VmHWM"),
                      "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "status": job.status, "error": job.error, "rows": job.processed_rows}))


def read_back(path) -> tuple[int, list, str]:
    """Data rows, header and the footer line of the exported sheet, through openpyxl read-only."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = list(next(rows))
        count, footer = 0, ""
        for row in rows:
            if row[1] is not None:
                count += 1
            elif row[0] is not None:
                footer = row[0]
        return count, header, footer
    finally:
        book.close()


def export_benchmark(rows: int = 1_000_000):
    district = ensure_database()
    from fangkong.accounts.models import User

    admin = User.objects.get(username="district_admin")
    present = fill(district, admin, rows)
    job = create_job(admin)
    print(f"export job {job.pk}: {job.description} as {admin.username} ({present:,} passages in scope)")
    print(f"machine: {os.cpu_count()} cores, load average before {load()}", flush=True)
    outer = time.perf_counter()
    child = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--job", str(job.pk)], cwd=ROOT,
                           env=os.environ.copy(), capture_output=True, text=True)
    wall = time.perf_counter() - outer
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    load_after = load()
    if child.returncode:
        raise SystemExit(f"the export process failed:\n{child.stderr[-4000:]}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    job.refresh_from_db()
    if figures["status"] != "done":
        raise SystemExit(f"the export failed: {figures['error']}\n{child.stderr[-4000:]}")
    path = job.file.path
    size = os.path.getsize(path)
    exported, seconds = figures["rows"], figures["seconds"]
    peak = mb(figures["rss_peak_kb"])
    print(f"exported {exported:,} rows in {seconds:.1f} s ({exported / seconds:,.0f} rows/s; "
          f"{figures['cpu_seconds']:.1f} s of CPU, which other processes' load sways less; process wall time "
          f"{wall:.1f} s with Python and Django start-up)")
    print(f"peak RSS {peak:.0f} MB (VmHWM of the export process); RSS before the export "
          f"{mb(figures['rss_before_kb']):.0f} MB, after {mb(figures['rss_after_kb']):.0f} MB; getrusage ru_maxrss "
          f"{mb(figures['ru_maxrss_kb']):.0f} MB, RUSAGE_CHILDREN {mb(children_peak):.0f} MB (these two also count "
          f"this process's pages at the fork)")
    print(f"file {size / 1e6:.1f} MB  {path}")
    print(f"load average after {load_after}", flush=True)
    started = time.perf_counter()
    counted, header, footer = read_back(path)
    print(f"read back with openpyxl (read-only) in {time.perf_counter() - started:.0f} s: {counted:,} data rows, "
          f"{len(header)} columns; footer: {footer}")
    if counted != exported or f"共 {exported} 条" not in footer:
        print(f"MISMATCH: the file has {counted:,} data rows, the job says {exported:,}")
    job.file.delete(save=True)  # 1M rows is tens of MB; the job row stays
    met = seconds <= GOAL_SECONDS and peak <= GOAL_MB and exported >= rows
    print(f"goal ({rows:,} rows, <= {GOAL_SECONDS} s, <= {GOAL_MB} MB): {'met' if met else 'MISSED'}")
    print(f"RESULT export_rows={exported} seconds={seconds:.1f} rows_per_s={exported / seconds:.0f} "
          f"peak_rss_mb={peak:.0f} file_mb={size / 1e6:.1f} load={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--job":
        run_job(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
