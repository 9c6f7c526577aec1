"""Lab results at district scale: 100,000 pooled 10-in-1 tubes covering 1,000,000 persons in PostgreSQL.

    .venv/bin/python bench/testing.py [--persons 1000000] [--positive 0.01] [--fresh] [--format csv|xlsx]

Builds (once; reused afterwards) 1,000,000 persons with bench/persons.py's loader, a campaign over the
district with one sampling site per subdistrict, and every person sampled into 10-in-1 tubes (COPY).
Then writes the lab's results file (1 % of the pools positive) and imports it exactly as the worker does
(core.imports.run → testing.importer → testing.services.save_results → healthcode recompute), and prints
the seconds from file to every tube, colour and retest task updated:

    RESULT results_seconds=... tubes=... persons=... retest_tasks=... yellow=...

Each run first puts the tubes back to "pending" and drops the retest tasks, so it measures the same
work again. This is a benchmark, not a test: it prints figures and asserts nothing about time.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import persons as person_bench  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench_testing"
CAMPAIGN = "基准测试全员核酸"
POOL = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--positive", type=float, default=0.01, help="share of positive pools (default 0.01)")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    return parser.parse_args()


def build_campaign(persons_target):
    """The campaign, its sites and a lab user; every person sampled once into 10-in-1 tubes (COPY)."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role, ensure_roles
    from fangkong.territory.models import Area, AreaLevel
    from fangkong.testing import services
    from fangkong.testing.models import Campaign, Duty, Tube

    campaign = Campaign.objects.filter(name=CAMPAIGN).first()
    lab = User.objects.filter(username="bench_lab").first()
    if campaign is not None and Tube.objects.filter(campaign=campaign).exists():
        return campaign, lab
    ensure_roles()
    district = Area.objects.get(parent=None)
    admin = User.objects.get(username="district_admin")
    if lab is None:
        lab = User.objects.create_user(username="bench_lab", full_name="基准实验室", area=None)
        lab.groups.set([Group.objects.get(name=Role.LAB_STAFF.value)])
    today = timezone.localdate()
    campaign = campaign or services.create_campaign(name=CAMPAIGN, area=district, starts_on=today, ends_on=today,
                                                    user=admin)
    round_ = campaign.rounds.get()
    site_of = {}
    for sub in Area.objects.filter(parent=district).order_by("pk"):
        community = Area.objects.filter(parent=sub, level=AreaLevel.COMMUNITY).order_by("pk").first()
        site = campaign.sites.filter(name=f"{sub.name}采样点").first() or services.create_site(
            campaign, name=f"{sub.name}采样点", area=community, user=admin)
        services.add_team_member(site, lab, Duty.SAMPLER, admin)
        for area_id in Area.objects.filter(path__startswith=sub.path).values_list("pk", flat=True):
            site_of[area_id] = site.pk
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, area_id FROM people_person ORDER BY area_id, household_id, id")
        persons = cursor.fetchall()
    now = timezone.now()
    groups = []
    for person_id, area_id in persons:
        if not groups or len(groups[-1][1]) >= POOL or groups[-1][0] != site_of[area_id]:
            groups.append((site_of[area_id], []))
        groups[-1][1].append(person_id)
    print(f"采样：{len(persons):,} 人装入 {len(groups):,} 管（COPY）…", flush=True)
    with connection.cursor() as cursor:
        with cursor.copy("COPY testing_tube (barcode, campaign_id, round_id, site_id, pooling, pool_size, size, "
                         "opened_by_id, opened_at, sealed_at, result, lab, result_ref) FROM STDIN") as copy:
            for n, (site_id, members) in enumerate(groups):
                copy.write_row((f"B{n:08d}", campaign.pk, round_.pk, site_id, "10", POOL, len(members), lab.pk, now,
                                now, "pending", "", ""))
        cursor.execute("SELECT barcode, id FROM testing_tube WHERE campaign_id = %s", [campaign.pk])
        tube_ids = dict(cursor.fetchall())
        with cursor.copy("COPY testing_sample (tube_id, person_id, campaign_id, round_id, site_id, sampled_at, "
                         "sampled_by_id, note) FROM STDIN") as copy:
            for n, (site_id, members) in enumerate(groups):
                tube_id = tube_ids[f"B{n:08d}"]
                for person_id in members:
                    copy.write_row((tube_id, person_id, campaign.pk, round_.pk, site_id, now, lab.pk, ""))
        for table in ("testing_tube", "testing_sample"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  用时 {time.perf_counter() - began:.0f} 秒", flush=True)
    return campaign, lab


def reset(campaign):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM testing_retesttask WHERE campaign_id = %s", [campaign.pk])
        cursor.execute("UPDATE testing_tube SET result = 'pending', result_at = NULL, lab = '', result_ref = '' "
                       "WHERE campaign_id = %s AND result <> 'pending'", [campaign.pk])
        cursor.execute("VACUUM (ANALYZE) testing_tube")


def write_results(campaign, share, fmt, directory) -> tuple[Path, int]:
    """The lab's file: every tube of the campaign, `share` of them positive."""
    from django.utils import timezone

    from fangkong.testing.models import Tube

    rng = random.Random(2022)
    at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    barcodes = list(Tube.objects.filter(campaign=campaign).order_by("pk").values_list("barcode", flat=True))
    positive = set(rng.sample(range(len(barcodes)), int(len(barcodes) * share)))
    lab = "区疾控中心实验室"
    rows = [[barcode, "阳性" if n in positive else "阴性", at, lab] for n, barcode in enumerate(barcodes)]
    header = ["试管条码", "检测结果", "检测时间", "检测机构"]
    path = Path(directory) / f"results.{fmt}"
    if fmt == "csv":
        import csv

        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    else:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, header)
        for n, row in enumerate(rows, start=1):
            sheet.write_row(n, 0, row)
        book.close()
    return path, len(positive)


def main():
    args = parse_args()
    person_bench.prepare_database(args.database_url, args.fresh)
    person_bench.setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    person_bench.load(args.persons, max(1, args.workers))
    from django.core.files.base import ContentFile
    from django.db import connection

    from fangkong.core import imports
    from fangkong.core.models import ImportJob, JobStatus
    from fangkong.healthcode.models import HealthStatus
    from fangkong.testing.models import RetestTask, Tube

    campaign, lab = build_campaign(args.persons)
    reset(campaign)
    with tempfile.TemporaryDirectory() as directory:
        path, positive = write_results(campaign, args.positive, args.format, directory)
        size_mb = path.stat().st_size / 1e6
        print(f"\n结果文件 {path.name}：{Tube.objects.filter(campaign=campaign).count():,} 管，阳性混管 {positive:,}，"
              f"{size_mb:.1f} MB", flush=True)
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"机器：{os.cpu_count()} 核，负载（1/5/15 分钟）{load}", flush=True)
        began = time.perf_counter()
        job = ImportJob(kind="lab_results", created_by=lab, file_name=path.name)
        job.file.save(path.name, ContentFile(path.read_bytes()), save=True)
        imports.run(job)  # what the Celery worker runs: read, validate every row, save all, recompute colours
        seconds = time.perf_counter() - began
    job.refresh_from_db()
    if job.status != JobStatus.DONE:
        sys.exit(f"导入失败：{job.errors[:5]}")
    tasks = RetestTask.objects.filter(campaign=campaign).count()
    resulted = Tube.objects.filter(campaign=campaign).exclude(result="pending").count()
    yellow = HealthStatus.objects.filter(colour="yellow").count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM testing_sample WHERE campaign_id = %s", [campaign.pk])
        persons = cursor.fetchone()[0]
    print(f"摘要：{job.summary}")
    print(f"结束时负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    verdict = "达标" if seconds <= 60 else "未达标（目标 ≤ 60 秒）"
    print(f"\n从文件到全部试管、健康码和复检任务更新：{seconds:.1f} 秒 {verdict}")
    print(f"RESULT results_seconds={seconds:.1f} tubes={resulted} persons={persons} retest_tasks={tasks} "
          f"yellow={yellow} format={args.format}")


if __name__ == "__main__":
    main()
