#!/usr/bin/env python3
"""Benchmark `tidings export` on an archive of a million items.

Builds an archive (the real schema, created by monitor.archive.Archive, then
filled by a fast bulk insert straight into its tables), then runs, each in
its own child process and `--repeat` times:

  tidings export --format csv      and a reference: a bare sqlite3 cursor
                                   over the same SELECT into csv.writer
  tidings export --format ndjson   and a reference: the same cursor into
                                   json.dumps per row
  tidings export --format csv --until DATE   (a tenth of the items: peak
                                   memory must not grow with the row count)

and reports medians of wall time, rows/s and the child's peak RSS (from
os.wait4's rusage of that child), and the ratio of Tidings' speed to the
reference measured in the same run.  Every export is checked to hold N rows.

    python bench/export_million.py                 # 1,000,000 items, 3 repeats
    python bench/export_million.py --items 2000 --repeat 1   # smoke test
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.archive import Archive  # noqa: E402

SOURCES = 20
START = datetime(2024, 1, 1, 6, 0, tzinfo=timezone.utc)

# The SELECT `tidings export` runs (monitor.archive.queries.item_rows), for the references.
REFERENCE_SQL = (
    "SELECT i.id, s.name, i.headline, i.summary, i.url, i.published, i.first_seen, i.last_seen, i.versions"
    " FROM items i JOIN sources s ON s.id = i.source_id ORDER BY i.first_seen, i.id"
)
COLUMNS = ("item_id", "source", "headline", "summary", "url", "published", "first_seen", "last_seen", "versions")

REFERENCE_CSV = f"""
import csv, sqlite3, sys
conn = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
with open(sys.argv[2], "w", encoding="utf-8", newline="") as out:
    w = csv.writer(out, lineterminator="\\r\\n")
    w.writerow({COLUMNS!r})
    w.writerows(conn.execute({REFERENCE_SQL!r}))
"""

REFERENCE_NDJSON = f"""
import json, sqlite3, sys
conn = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
columns = {COLUMNS!r}
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for row in conn.execute({REFERENCE_SQL!r}):
        out.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False))
        out.write("\\n")
"""

WORDS = ("water", "air", "convention", "Übereinkommen", "pollution", "émissions", "水资源", "safety", "tailings",
         "review", "Kazakhstan", "Zürich", "protocol", "heavy", "metals", "guidance", "transboundary", "river")


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def build(path: Path, n: int) -> tuple[str, int]:
    """Create an archive of `n` items over a year; return a first_seen bound near its
    first tenth, and how many items were first seen up to it."""
    Archive(path).close()  # the real schema, every migration
    rng = random.Random(5)
    days = 365
    per_day = max(1, n // days + 1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'items_ai'").fetchone()
    with conn:
        if trigger:  # fill the full-text index once at the end, not row by row
            conn.execute("DROP TRIGGER items_ai")
        conn.executemany("INSERT INTO sources (id, name, url) VALUES (?, ?, ?)",
                         [(s, f"source-{s:02d}", f"https://agency{s}.example/news") for s in range(1, SOURCES + 1)])
        conn.executemany(
            "INSERT INTO crawls (id, run_id, source_id, started, finished, status, items_seen, new, pages)"
            " VALUES (?, ?, ?, ?, ?, 'ok', 25, 0, 1)",
            ((d * SOURCES + s, f"run-{d}", s, stamp(START + timedelta(days=d)), stamp(START + timedelta(days=d, seconds=s)))
             for d in range(days + 1) for s in range(1, SOURCES + 1)),
        )

        def items():
            for i in range(1, n + 1):
                day, source = divmod(i - 1, per_day)[0], (i % SOURCES) + 1
                seen = stamp(START + timedelta(days=day, seconds=source))
                words = " ".join(rng.choice(WORDS) for _ in range(10))
                headline = f"Release {i}: {words}"
                summary = f'First paragraph, with "quotes" about {words}.\n\nSecond paragraph {i}.'
                url = f"https://agency{source}.example/news/{i}"
                crawl = day * SOURCES + source
                yield (i, source, "url:" + url, url, headline, summary, (START + timedelta(days=day)).date().isoformat(),
                       seen, seen, crawl, crawl, i % 25, 1)

        conn.executemany(
            "INSERT INTO items (id, source_id, key, url, headline, summary, published, first_seen, last_seen,"
            " first_crawl_id, last_crawl_id, position, versions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            items(),
        )
        conn.execute(
            "INSERT INTO item_versions (item_id, crawl_id, seen_at, headline, summary, published)"
            " SELECT id, first_crawl_id, first_seen, headline, summary, published FROM items"
        )
        if trigger:
            conn.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")
            conn.execute(trigger[0])
    tenth = conn.execute("SELECT first_seen FROM items ORDER BY first_seen, id LIMIT 1 OFFSET ?", (max(0, n // 10 - 1),)).fetchone()[0]
    rows = conn.execute("SELECT count(*) FROM items WHERE first_seen <= ?", (tenth,)).fetchone()[0]
    conn.close()
    return tenth, rows


def measure(argv: list[str], env: dict) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.read().decode(errors='replace')}")
    return elapsed, usage.ru_maxrss


def count_rows(path: Path, fmt: str) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            return sum(1 for _ in csv.reader(fh)) - 1
        return sum(1 for _ in fh)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the archive and exports in this folder")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="tidings-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        bench(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, work: Path) -> None:
    db = work / "tidings.db"
    if db.exists():
        for leftover in work.glob("tidings.db*"):
            leftover.unlink()
    started = time.perf_counter()
    tenth, tenth_rows = build(db, args.items)
    print(f"built {args.items:,} items in {time.perf_counter() - started:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    tidings = [sys.executable, "-m", "monitor", "export", "--db", str(db)]
    cases = [
        ("tidings export csv", "csv", args.items, lambda out: [*tidings, "--format", "csv", "-o", str(out)]),
        ("reference csv", "csv", args.items, lambda out: [sys.executable, "-c", REFERENCE_CSV, str(db), str(out)]),
        ("tidings export ndjson", "ndjson", args.items, lambda out: [*tidings, "--format", "ndjson", "-o", str(out)]),
        ("reference ndjson", "ndjson", args.items, lambda out: [sys.executable, "-c", REFERENCE_NDJSON, str(db), str(out)]),
        ("tidings export csv, first tenth", "csv", tenth_rows,
         lambda out: [*tidings, "--format", "csv", "--until", tenth, "-o", str(out)]),
    ]
    results = {}
    for label, fmt, rows, command in cases:
        times, peaks = [], []
        for attempt in range(args.repeat):
            out = work / f"out.{fmt}"
            elapsed, peak = measure(command(out), env)
            if attempt == 0:
                got = count_rows(out, fmt)
                if got != rows:
                    raise SystemExit(f"{label}: {got} rows exported, expected {rows}")
            times.append(elapsed)
            peaks.append(peak)
            out.unlink()
        results[label] = (rows, statistics.median(times), statistics.median(peaks))

    print(f"\n| run ({args.items:,} items, median of {args.repeat}) | rows | seconds | rows/s | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, (rows, seconds, peak) in results.items():
        print(f"| {label} | {rows:,} | {seconds:.2f} | {rows / seconds:,.0f} | {peak / 1024:.0f} MiB |")
    for fmt in ("csv", "ndjson"):
        ours, ref = results[f"tidings export {fmt}"][1], results[f"reference {fmt}"][1]
        print(f"\n{fmt}: Tidings runs at {ref / ours:.2f}x the reference's speed")
    full, tenth_peak = results["tidings export csv"][2], results["tidings export csv, first tenth"][2]
    print(f"peak RSS, all items vs a tenth: {full / tenth_peak:.2f}x")


if __name__ == "__main__":
    main()
