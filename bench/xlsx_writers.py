"""Which xlsx writer the exports use: the hand-written streaming writer against maintained ones.

    .venv/bin/python bench/xlsx_writers.py [--rows 1000000] [--only handwritten,xlsxwriter,rustpy]

Each writer writes the same passage-like rows (a date-time, place, community, name, identity type,
masked number, direction, temperature, verdict, reasons, channel, plate, recorder) with a frozen,
filtered header row and every text cell neutralised against formulas, as an export does. Names
repeat as they do in a district's passages (a few hundred places, tens of thousands of persons).

- handwritten: the former fangkong.core.xlsx.StreamingSheet (kept here, and only here, as the
  yardstick), fed cells it caches per distinct value, the way the passage export fed it;
- xlsxwriter: XlsxWriter in constant_memory mode, write_row per row;
- rustpy: rustpy-xlsxwriter (rust_xlsxwriter under a Python binding), given a generator of rows;
  its constant-memory mode, inline strings.

Each runs in a fresh Python process so that its peak memory (VmHWM) is its own. The file is then
opened with python-calamine to count its rows. Prints seconds, CPU seconds, peak RSS and file size
for each, and the load average before and after. A benchmark: it asserts nothing about time.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WRITERS = ("handwritten", "xlsxwriter", "rustpy")
HEADER = ["时间", "场所", "社区/村", "姓名", "证件类型", "证件号码", "方向", "体温（℃）", "结果", "原因", "方式",
          "车牌", "登记人"]
WIDTHS = [19, 24, 14, 10, 10, 20, 6, 10, 8, 30, 8, 10, 12]
PLACES, PERSONS = 300, 40_000
START = datetime.datetime(2022, 3, 1, 6, 0)


def rows(count: int):
    """Passage-like rows of plain Python values, the same for every writer (a simple generator, no randomness)."""
    places = [f"幸福里小区{n}号门" for n in range(PLACES)]
    areas = [f"第{n}社区" for n in range(PLACES // 10)]
    surnames, given = "王李张刘陈杨赵黄周吴", "秀英建国伟芳娜敏静丽强磊军洋勇艳杰娟涛明超"
    persons = [(surnames[n % 10] + given[n % 19] + given[n * 7 % 19], f"4101{'*' * 10}{n % 10_000:04d}")
               for n in range(PERSONS)]
    verdicts = [("通行", None), ("通行", None), ("通行", None), ("提醒", "非本小区住户，请核实登记"),
                ("禁止", "体温 38.1℃ 偏高，请到临时留观点复测")]
    for n in range(count):
        place = n * n % PLACES
        name, number = persons[n * 7919 % PERSONS]
        verdict, reason = verdicts[n % 5]
        yield (START + datetime.timedelta(seconds=n * 1.7), places[place], areas[place // 10], name, "居民身份证",
               number, "入" if n % 3 else "出", None if n % 4 == 0 else 36.0 + (n % 13) / 10, verdict, reason,
               "扫码" if n % 10 else "代登记", f"豫A{n % 100_000:05d}" if n % 33 == 0 else None,
               "=cmd|' /C calc'!A0" if n % 50_000 == 7 else ("卡点值守员" if n % 10 == 0 else None))


def write_handwritten(path, count):
    from bench.streaming_sheet import StreamingSheet, moment_cell, number_cell, text_cell

    text = lru_cache(100_000)(text_cell)
    sheet = StreamingSheet(path, "出入记录", dict(enumerate(WIDTHS)), header=True)
    sheet.append([text_cell(title) for title in HEADER])
    for row in rows(count):
        sheet.append([moment_cell(row[0]), *(None if v is None else text(v) for v in row[1:7]),
                      None if row[7] is None else number_cell(row[7]),
                      *(None if v is None else text(v) for v in row[8:])])
    sheet.close()


def write_xlsxwriter(path, count):
    import xlsxwriter

    from fangkong.core.xlsx import excel_text

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_urls": False,
                                      "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("出入记录")
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width, moment if column == 0 else None)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, HEADER)
    number = 0
    for number, row in enumerate(rows(count), start=1):
        sheet.write_datetime(number, 0, row[0], moment)
        sheet.write_row(number, 1, [excel_text(v) for v in row[1:]])
    sheet.autofilter(0, 0, number, len(HEADER) - 1)
    book.close()


def write_rustpy(path, count):
    from rustpy_xlsxwriter import write_worksheet

    from fangkong.core.xlsx import excel_text

    def records():
        for row in rows(count):
            yield dict(zip(HEADER, [row[0], *(excel_text(v) for v in row[1:])], strict=True))

    write_worksheet(records(), path, sheet_name="出入记录", freeze_row=1, autofilter=True,
                    datetime_format="yyyy-mm-dd hh:mm:ss", column_widths=WIDTHS)


def memory_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{field}:"))


def run_one(writer: str, count: int):
    """In the fresh process: write the file, print figures as JSON."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    started, cpu = time.perf_counter(), time.process_time()
    globals()[f"write_{writer}"](path, count)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": memory_kb("VmHWM"), "path": path}))


def count_rows(path) -> int:
    from python_calamine import CalamineWorkbook

    return len(CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()) - 1


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", default=",".join(WRITERS), help="writers to run, comma-separated")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return run_one(args.one, args.rows)
    print(f"{args.rows:,} rows, {len(HEADER)} columns; {os.cpu_count()} cores, load average {load()}", flush=True)
    results = {}
    for writer in args.only.split(","):
        before = load()
        child = subprocess.run([sys.executable, __file__, "--one", writer, "--rows", str(args.rows)], cwd=ROOT,
                               capture_output=True, text=True)
        if child.returncode:
            print(f"{writer}: failed\n{child.stderr[-3000:]}")
            continue
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        size = os.path.getsize(figures["path"])
        counted = count_rows(figures["path"])
        os.unlink(figures["path"])
        results[writer] = figures["seconds"]
        print(f"{writer:12} {figures['seconds']:7.1f} s  ({figures['cpu']:.1f} s CPU)  peak RSS "
              f"{figures['peak_kb'] / 1024:6.0f} MB  file {size / 1e6:6.1f} MB  rows read back {counted:,}"
              f"{'' if counted == args.rows else '  MISMATCH'}  load {before} -> {load()}", flush=True)
    if results:
        fastest = min(results, key=results.get)
        print(f"fastest: {fastest}; " + ", ".join(f"{w} {s / results[fastest]:.2f}x" for w, s in results.items()))


if __name__ == "__main__":
    main()
