#!/usr/bin/env python
"""Benchmark the returning resident's one-tap check-in through the real HTTP stack.

gunicorn (2 sync workers) serves fangkong on PostgreSQL; wrk drives 16 concurrent clients for 20 s
against POST /c/<code>/pass, each request a different registered device and a fresh page token
(so every request writes a passage), then does the same against a raw-SQL twin of the view
(bench/checkin_raw.py) that does the same lookups and one INSERT. The last line is
`RESULT checkin_per_s=<n> raw_per_s=<n> ratio=<r> p99_ms=<n>`: the mean rates over --rounds
measurements of each (20 s each, in mirrored order) and the worst p99. Goal: ratio >= 0.8, p99 <= 50 ms.

    .venv/bin/python bench/checkin.py [--seconds 20] [--clients 16] [--devices 2000] [--rounds 2]
    .venv/bin/python bench/checkin.py --export [--export-rows 1000000]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres) and `wrk` (Debian package wrk).
"""

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.getenv("FANGKONG_BENCH_CHECKIN_DB", "fangkong_bench_checkin")
PG = "postgres://postgres@127.0.0.1:5432"


def psql(sql):
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


def load_demo():
    """The schema and the small demo district in the configured database (both steps are idempotent)."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    os.environ.setdefault("FANGKONG_DEMO_PASSWORD", secrets.token_urlsafe(12))
    with open(os.devnull, "w") as quiet:
        call_command("demo_district", size="small", stdout=quiet)


def prepare(devices):
    """A fresh database with the small demo district, one approved place and `devices` registered phones."""
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    load_demo()
    from fangkong.passes import services
    from fangkong.passes.models import Device, DeviceMember, PassPolicy, Place, PlaceKind, PlaceState
    from fangkong.people.models import Person
    from fangkong.territory.models import Area, AreaLevel

    community = Area.objects.filter(level=AreaLevel.COMMUNITY).order_by("pk").first()
    place = Place.objects.create(area=community, name="基准测试门岗", kind=PlaceKind.COMPOUND_GATE, address="测试路1号",
                                 contact_name="测试", state=PlaceState.APPROVED, measures_temperature=False,
                                 policy=PassPolicy.STANDARD)
    persons = list(Person.objects.filter(declarations__isnull=False).distinct().values_list("pk", flat=True))
    entries = []
    for index in range(devices):
        device = Device.objects.create()
        person = persons[index % len(persons)]
        DeviceMember.objects.create(device=device, person_id=person, label="本人")
        entries.append((services.device_cookie(device), person))
    from django.db import connection

    with connection.cursor() as cursor:  # as a district that has run a while: autovacuum has nothing left to do
        cursor.execute("VACUUM ANALYZE")
    return place, entries


def lua_script(entries, csrf):
    rows = ",\n".join(f'{{c="{cookie}", p={person}}}' for cookie, person in entries)
    return f"""
local entries = {{
{rows}
}}
local csrf = "{csrf}"
local counter = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
init = function(args)
  -- Seeded from the clock: the warm-up and the measured run must not send the same tokens (replays).
  math.randomseed(os.time() * 7919 + tid)
end
request = function()
  counter = counter + 1
  local e = entries[math.random(#entries)]
  local token = string.format("t%d%08x%08x", tid, counter, math.random(0, 2147483646))
  local body = "csrfmiddlewaretoken=" .. csrf .. "&token=" .. token .. "&person=" .. e.p .. "&direction=in"
  local headers = {{}}
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Cookie"] = "csrftoken=" .. csrf .. "; fk_device=" .. e.c
  return wrk.format("POST", nil, headers, body)
end
"""


def run_wrk(url, script, seconds, clients):
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", script, url],
                         check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99[1]) * {"us": 0.001, "ms": 1, "s": 1000}[p99[2]]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p99_ms, int(errors[1]) if errors else 0, out


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def mirrored_rounds(names, rounds, measure):
    """Measure two views `rounds` times each in mirrored order (a, b, b, a, ...), so that neither always runs
    first, on the freshest table or beside an autovacuum; {name: (mean req/s, worst p99 ms)}."""
    first, second = names
    order = [name for r in range(rounds) for name in ((first, second) if r % 2 == 0 else (second, first))]
    figures = {name: [] for name in names}
    for name in order:
        figures[name].append(measure(name))
    return {name: (sum(rate for rate, _p99 in runs) / len(runs), max(p99 for _rate, p99 in runs))
            for name, runs in figures.items()}


def checkin(args):
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    place, entries = prepare(args.devices)
    from fangkong.passes.models import Passage

    csrf = secrets.token_hex(16)
    script = Path(tempfile.mkdtemp()) / "checkin.lua"
    script.write_text(lua_script(entries, csrf))
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB}", "DJANGO_SETTINGS_MODULE": "bench.checkin_settings"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "fangkong.wsgi:application", "-w", str(args.workers),
         "-b", f"127.0.0.1:{args.port}", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        wait_for_port(args.port)
        base = f"http://127.0.0.1:{args.port}"
        paths = {"checkin": f"/c/{place.code}/pass", "raw": f"/bench/raw/{place.code}/pass"}
        for path in paths.values():
            run_wrk(base + path, str(script), 3, args.clients)  # warm up: connections, caches, plans

        def measure(name):
            before = Passage.objects.count()
            load_before = os.getloadavg()[0]
            rate, p99, errors, out = run_wrk(base + paths[name], str(script), args.seconds, args.clients)
            print(f"{name:8} {rate:8.1f} req/s  p99 {p99:6.1f} ms  non-2xx {errors}  passages written "
                  f"{Passage.objects.count() - before}  load before {load_before:.2f}")
            if errors:
                print(out)
            return rate, p99

        results = mirrored_rounds(("checkin", "raw"), args.rounds, measure)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = results["checkin"][0] / results["raw"][0]
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"RESULT checkin_per_s={results['checkin'][0]:.0f} raw_per_s={results['raw'][0]:.0f} "
          f"ratio={ratio:.2f} p99_ms={results['checkin'][1]:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each view, in mirrored order")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--export", action="store_true", help="measure exporting passages instead")
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.checkin_settings"
    if args.export:
        from bench.passages_export import export_benchmark

        export_benchmark(args.export_rows)
    else:
        checkin(args)


if __name__ == "__main__":
    main()
