#!/usr/bin/env python
"""Benchmark verifying personal pass codes at a checkpoint through the real HTTP stack.

gunicorn (2 sync workers) serves fangkong on PostgreSQL; wrk drives 16 concurrent clients for 20 s
against POST /api/pass-codes/verify/ as the checkpoint's guard (token authentication), each request
a fresh pass code of a different resident (pre-issued just before the run and handed to wrk in a Lua
script, each used once, as at a real gate), so every request signs-checks a code, reads the person,
their latest declaration and health code, runs the gate verdict and writes a passage. Then the same
against bench/checkin.py's raw-SQL twin of the one-tap check-in (four statements, one INSERT): the
floor to compare with. The last line is
`RESULT verify_per_s=<n> raw_per_s=<n> ratio=<r> p99_ms=<n>`: mean rates over --rounds measurements of each
(mirrored order, as bench/checkin.py) and the worst p99. Goal: ratio >= 0.8.

    .venv/bin/python bench/passcode.py [--seconds 20] [--clients 16] [--devices 2000] [--rounds 2]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres) and `wrk` (Debian package wrk). Pass codes live
TOKEN_SECONDS (60 s), so a run is at most 40 s.
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import checkin  # noqa: E402  (the path above first)

DB = "fangkong_bench_passcode"


def prepare(devices):
    """checkin.prepare's database (demo district, a gate, registered residents) plus the gate's guard."""
    checkin.DB = DB  # its own database, so that it never drops the check-in benchmark's
    place, entries = checkin.prepare(devices)
    from django.contrib.auth.models import Group

    from fangkong.accounts import tokens
    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.healthcode import services as healthcode

    guard = User.objects.create_user(username="bench_guard", password=secrets.token_urlsafe(12), area=place.area,
                                     full_name="基准测试值守")
    guard.groups.set([Group.objects.get(name=Role.CHECKPOINT_STAFF.value)])
    place.staff.add(guard)
    persons = sorted({person for _cookie, person in entries})
    healthcode.recompute(persons)  # every resident has their health-code row, as in a running district
    return place, entries, persons, tokens.issue(guard, verified=False)[1]


def tokens_script(persons, place, api_token, count):
    """A Lua script that posts `count` fresh pass codes, each once, spread over wrk's threads."""
    from fangkong.healthcode import passcode
    from fangkong.people.models import Person

    people = list(Person.objects.filter(pk__in=persons))
    codes = [passcode.issue(people[i % len(people)]).token for i in range(count)]
    rows = ",\n".join(f'"{code}"' for code in codes)
    return f"""
local codes = {{
{rows}
}}
local place = {place.pk}
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
init = function(args)
  index = tid - 1
end
request = function()
  index = index + 2  -- wrk -t2: thread 1 takes the odd codes, thread 2 the even ones
  local code = codes[((index - 1) % #codes) + 1]
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Token {api_token}"
  return wrk.format("POST", nil, headers, '{{"code": "' .. code .. '", "place": ' .. place .. '}}')
end
"""


def check_once(base, place, persons, api_token):
    """One verify through HTTP before measuring: the endpoint answers 200 with a verdict."""
    import urllib.request

    from fangkong.healthcode import passcode
    from fangkong.people.models import Person

    code = passcode.issue(Person.objects.get(pk=persons[0])).token
    request = urllib.request.Request(f"{base}/api/pass-codes/verify/", method="POST",
                                     data=json.dumps({"code": code, "place": place.pk}).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Token {api_token}"})
    with urllib.request.urlopen(request) as response:
        body = json.loads(response.read())
    print(f"one verify: {body['verdict']} {body['reasons']}")


def run(args):
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    place, entries, persons, api_token = prepare(args.devices)
    from fangkong.passes.models import Passage, RejectedScan

    # The raw baseline: bench/checkin.py's script against its raw-SQL twin, on the same server.
    csrf = secrets.token_hex(16)
    folder = Path(tempfile.mkdtemp())
    raw_script = folder / "raw.lua"
    raw_script.write_text(checkin.lua_script(entries, csrf))

    env = {**os.environ, "DATABASE_URL": f"{checkin.PG}/{DB}", "DJANGO_SETTINGS_MODULE": "bench.checkin_settings"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "fangkong.wsgi:application", "-w", str(args.workers),
         "-b", f"127.0.0.1:{args.port}", "--log-level", "warning"], cwd=ROOT, env=env)
    # Enough codes that none is used twice: a generous ceiling on what two cores verify in the run.
    count = args.codes or 2500 * (args.seconds + 1)
    try:
        checkin.wait_for_port(args.port)
        base = f"http://127.0.0.1:{args.port}"
        check_once(base, place, persons, api_token)
        verify_url, raw_url = f"{base}/api/pass-codes/verify/", f"{base}/bench/raw/{place.code}/pass"
        warm = folder / "warm.lua"
        warm.write_text(tokens_script(persons, place, api_token, 3000))
        checkin.run_wrk(verify_url, str(warm), 3, args.clients)  # warm up: connections, caches, plans
        checkin.run_wrk(raw_url, str(raw_script), 3, args.clients)

        def measure(name):
            if name == "verify":
                url, script = verify_url, folder / "verify.lua"
                script.write_text(tokens_script(persons, place, api_token, count))  # fresh: they live 60 s
            else:
                url, script = raw_url, raw_script
            before, refused_before = Passage.objects.count(), RejectedScan.objects.count()
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            rate, p99, errors, out = checkin.run_wrk(url, str(script), args.seconds, args.clients)
            written = Passage.objects.count() - before
            refused = RejectedScan.objects.count() - refused_before
            print(f"{name:8} {rate:8.1f} req/s  p99 {p99:6.1f} ms  non-2xx {errors}  passages written {written}"
                  f"  refused {refused}  load before {load_before:.2f}  ({time.monotonic() - started:.0f} s)")
            if errors:
                print(out)
            if name == "verify" and rate * args.seconds > count:
                print(f"warning: {count} codes were too few, some were replayed (refused)")
            return rate, p99

        results = checkin.mirrored_rounds(("verify", "raw"), args.rounds, measure)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = results["verify"][0] / results["raw"][0]
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"RESULT verify_per_s={results['verify'][0]:.0f} raw_per_s={results['raw'][0]:.0f} "
          f"ratio={ratio:.2f} p99_ms={results['verify'][1]:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--codes", type=int, default=0, help="pass codes to pre-issue (default: enough)")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each, in mirrored order")
    parser.add_argument("--port", type=int, default=8097)
    args = parser.parse_args()
    if args.seconds > 40:
        raise SystemExit("pass codes live 60 s: --seconds 40 at most")
    os.environ["DATABASE_URL"] = f"{checkin.PG}/{DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.checkin_settings"
    run(args)


if __name__ == "__main__":
    main()
