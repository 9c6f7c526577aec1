"""The household ledger at district scale.

    .venv/bin/python bench/ledger.py [--rows 100000] [--database-url postgres://...] [--keep]

Part 1 (import): builds a 100,000-row household ledger xlsx (about 35,000 households in ten
communities, valid resident ids, the columns of the import template) and times the real import:
an ImportJob of kind "ledger" run by fangkong.core.imports.run, as the Celery worker runs it
(read, validate every row, batched blind-index lookups, create compounds/buildings/units/households,
encrypt and bulk-create the persons, audit). Prints `import_rows=<n> seconds=<s>`. Goal: ≤ 60 s.

Part 2 (reports): the key-person list and the daily report's p95 with 1,000,000 persons and 50,000
key persons: bench/keypersons.py, run from here on its own database (fangkong_bench_keypersons, built
on first use in about five minutes and kept). The last line carries both parts' figures.

The database (fangkong_bench_ledger by default) is dropped and created afresh on every run, so the
import always starts from an empty ledger. This is a benchmark, not a test: it prints figures.
"""

import argparse
import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.persons import GIVEN, SURNAMES, bulk_number, prepare_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench_ledger"
KEYPERSONS_URL = "postgres://postgres@127.0.0.1:5432/fangkong_bench_keypersons"
COMMUNITIES = 10
PERSONS_PER_HOUSEHOLD = 2.86  # 100,000 rows → about 35,000 households
ROLES = ["子女", "配偶", "父母", "子女", "其他"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="persons (rows) in the ledger (default 100000)")
    parser.add_argument("--database-url", default=os.getenv("FANGKONG_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="keep the generated xlsx (its path is printed)")
    parser.add_argument("--skip-reports", action="store_true", help="part 1 only")
    parser.add_argument("--reports-database-url", default=KEYPERSONS_URL,
                        help="part 2's database (bench/keypersons.py; built on first use, then kept)")
    parser.add_argument("--samples", type=int, default=100, help="part 2: timed requests per page (default 100)")
    return parser.parse_args()


# --- part 1: ledger import ----------------------------------------------------------------------

def make_territory():
    """A district, one subdistrict, COMMUNITIES communities with three grids each, and an admin."""
    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.territory.models import Area, AreaLevel, Grid

    district = Area.objects.create(name="基准区", level=AreaLevel.DISTRICT)
    subdistrict = Area.objects.create(name="基准街道", level=AreaLevel.SUBDISTRICT, parent=district)
    communities = []
    for n in range(COMMUNITIES):
        community = Area.objects.create(name=f"第{n + 1}社区", level=AreaLevel.COMMUNITY, parent=subdistrict)
        for g in range(3):
            Grid.objects.create(area=community, name=f"第{g + 1}网格")
        communities.append(community)
    from django.contrib.auth.models import Group

    from fangkong.accounts.roles import ensure_roles

    ensure_roles()
    admin = User.objects.create_user(username="bench_admin", password=os.urandom(12).hex(), area=district)
    admin.groups.set([Group.objects.get(name=Role.DISTRICT_ADMIN.value)])
    return communities, admin


def ledger_rows(rows: int, communities, seed=1):
    """The ledger as people fill it in: households of 1-6 persons, a head first, some returnees."""
    rng = random.Random(seed)
    serial, household = 0, 0
    today = datetime.date.today()
    while serial < rows:
        community = communities[household % len(communities)]
        k = household // len(communities)
        compound, rest = divmod(k, 360)  # 10 buildings x 3 units x 6 floors x 2 rooms
        building, rest = divmod(rest, 36)
        unit, room = divmod(rest, 12)
        door = f"{room // 2 + 1}{room % 2 + 1:02d}"
        size = min(rows - serial, max(1, round(rng.gauss(PERSONS_PER_HOUSEHOLD, 1.2))))
        for member in range(size):
            returned = rng.random() < 0.05
            yield [community.name, f"第{building % 3 + 1}网格", f"{community.name}第{compound + 1}小区",
                   f"{building + 1}号楼", f"{unit + 1}单元", door, "",
                   rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))),
                   "居民身份证", bulk_number(serial), f"199{serial:08d}" if rng.random() < 0.7 else "",
                   "户主" if member == 0 else rng.choice(ROLES), "流动人口" if rng.random() < 0.2 else "户籍人口",
                   (today - datetime.timedelta(days=rng.randint(1, 20))).isoformat() if returned else "",
                   rng.choice(["上海市", "北京市", "广州市", "武汉市"]) if returned else "",
                   "" if rng.random() < 0.5 else "某某有限公司", rng.randint(0, 3)]
            serial += 1
        household += 1


def write_ledger(path, rows, communities):
    import xlsxwriter

    from fangkong.people.importer import LedgerImporter

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("台账")
    sheet.write_row(0, 0, [str(c) for c in LedgerImporter.columns])
    households = set()
    for n, row in enumerate(ledger_rows(rows, communities), start=1):
        sheet.write_row(n, 0, row)
        households.add(tuple(row[:6]))
    book.close()
    return len(households)


def bench_import(rows: int, keep: bool) -> float:
    from django.core.files import File

    from fangkong.core import imports
    from fangkong.core.models import ImportJob, JobStatus
    from fangkong.people.models import Person
    from fangkong.territory.models import Household

    communities, admin = make_territory()
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="ledger-")
    os.close(handle)
    began = time.perf_counter()
    households = write_ledger(path, rows, communities)
    print(f"台账文件：{rows:,} 行，{households:,} 户，{os.path.getsize(path) / 1e6:.1f} MB，"
          f"生成用时 {time.perf_counter() - began:.1f} 秒（不计入导入）", flush=True)
    with open(path, "rb") as fh:
        job = ImportJob(kind="ledger", created_by=admin, file_name="ledger.xlsx")
        job.file.save("ledger.xlsx", File(fh), save=False)
        job.save()
    print(f"导入前负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    began = time.perf_counter()
    job = imports.run(job)
    seconds = time.perf_counter() - began
    if job.status != JobStatus.DONE:
        raise SystemExit(f"导入失败：{job.errors[:5]}")
    print(f"导入结果：{job.summary}")
    print(f"数据库：{Person.objects.count():,} 人，{Household.objects.count():,} 户")
    print(f"导入后负载（1/5/15 分钟）{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"import_rows={rows} seconds={seconds:.1f}", flush=True)
    if keep:
        print(f"文件保留在 {path}")
    else:
        os.unlink(path)
    return seconds


# --- part 2: key persons and daily reports -------------------------------------------------------

def bench_reports(database_url: str, samples: int) -> dict:
    """Part 2 is bench/keypersons.py, run as its own process on its own database (a million persons and
    50,000 key persons, built once and kept); its output is passed through and its RESULT figures returned."""
    command = [sys.executable, str(ROOT / "bench" / "keypersons.py"), "--database-url", database_url,
               "--samples", str(samples)]
    print(f"\n第二部分：{' '.join(command[1:])}", flush=True)
    figures = {}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("RESULT "):
                figures = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
    if process.returncode:
        raise SystemExit(f"bench/keypersons.py 失败（退出码 {process.returncode}）")
    return figures


def main():
    args = parse_args()
    prepare_database(args.database_url, fresh=True)
    setup_django(args.database_url)
    from django.conf import settings
    from django.core.management import call_command

    media = tempfile.mkdtemp(prefix="fk-bench-media-")
    settings.MEDIA_ROOT = media
    call_command("migrate", verbosity=0)
    print(f"机器：{os.cpu_count()} 核", flush=True)
    seconds = bench_import(args.rows, args.keep)
    reports = None if args.skip_reports else bench_reports(args.reports_database_url, args.samples)
    result = f"RESULT import_rows={args.rows} import_seconds={seconds:.1f}"
    if isinstance(reports, dict):
        result += "".join(f" {key}={value}" for key, value in reports.items())
    print(result)


if __name__ == "__main__":
    main()
