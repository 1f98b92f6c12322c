"""The daemon's cost per check against `tidings run`'s, and how far one machine goes.

Comparison (issue 15).  For each N: the fixture site with N listings; a
fresh archive; the daemon (`tidings schedule`) with every source on a short
interval for a fixed time, then SIGTERM.  Its CPU-seconds (the daemon and
every child it reaped, from `os.wait4`) divided by the checks it completed
(crawl rows in the archive) is set beside the same for `tidings run` over
the same sources, run ROUNDS times on a fresh archive (a baseline, then
unchanged rounds: the mix the daemon sees), in the same run of the script.
The server counts each page's requests (every source checked on schedule:
about duration / interval each); the daemon's log gives each check's
schedule lag (p50, p99).

    python -m bench.daemon --sizes 200,1000 [--interval 10,30] [--repeats 3]

Ceiling: `--ceiling 1000,10000,50000` measures, per N, `tidings run` (a
baseline round and an unchanged round: wall, CPU, peak PSS, archive size)
and the daemon on an interval of INTERVAL_PER_SOURCE * N seconds for one
interval and a half (checks, CPU per check, lag p50/p99, peak PSS).

History: `--history 100` runs `tidings run` 100 rounds over HISTORY_SOURCES
sources with 2 new items per page per round and reports the CPU of the
first and last ten rounds: cost must not grow with the archive.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from bench.common import PYTHON, ROOT, compile_code, fixture_site, machine, measure, table
from bench.crawl import LOOPBACK_CRAWL
from bench.site import SELECTORS

ROUNDS = 3
WORKERS = 2
LAG = re.compile(r"^(\S+ \S+) .* \([\d.]+ s, lag (-?[\d.]+) s\)", re.M)
STOPPED = re.compile(r"stopped \((\d+) batches, ([\d.]+) CPU-seconds in crawls, ([\d.]+) in the daemon\)")
INTERVAL_PER_SOURCE = 0.03  # ceiling runs: 1,000 sources every 30 s, 10,000 every 300 s
HISTORY_SOURCES = 50


def write_config(folder: Path, urls: list[str], schedule: str | None) -> Path:
    lines = ["[crawl]"] + [f"{k} = {json.dumps(v)}" for k, v in LOOPBACK_CRAWL.items()]
    if schedule:
        lines += ["[defaults]", f'schedule = "{schedule}"']
    for i, url in enumerate(urls):
        lines.append(f'\n[[source]]\nname = "s{i}"\nurl = {json.dumps(url)}')
        lines += [f"{k} = {json.dumps(v)}" for k, v in SELECTORS.items()]
    config = folder / "tidings.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def checks(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM crawls").fetchone()[0]
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_reference(site, folder: Path, rounds: int) -> dict:
    """`tidings run` over every source, `rounds` times on a fresh archive."""
    config = write_config(folder, site.urls(), None)
    db = folder / "run.db"
    cmd = [PYTHON, "-m", "monitor", "run", "--config", str(config), "--db", str(db), "-q"]
    runs = [measure(cmd) for _ in range(rounds)]
    return {"cpu": sum(m.cpu for m in runs), "wall": sum(m.wall for m in runs), "checks": checks(db),
            "pss": max(m.pss for m in runs), "bytes": db.stat().st_size,
            "baseline": runs[0].__dict__, "unchanged": runs[-1].__dict__}


def run_daemon(site, folder: Path, interval: int, seconds: float, workers: int = WORKERS) -> dict:
    """The daemon on `interval`-second schedules for `seconds`, then SIGTERM."""
    config = write_config(folder, site.urls(), f"{interval}s")
    db = folder / "daemon.db"
    log = folder / "daemon.log"
    site.control("reset")
    cmd = ["timeout", "-s", "TERM", "-k", "120", str(seconds), PYTHON, "-m", "monitor", "schedule",
           "--config", str(config), "--db", str(db), "--workers", str(workers), "--log-file", str(log)]
    m = measure(cmd, ok_codes=(124,), timeout=seconds + 600)  # 124: stopped by `timeout`, as intended
    stats = site.control("stats")
    text = log.read_text()
    found = [(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f"), float(lag)) for stamp, lag in LAG.findall(text)]
    lags = [lag for _, lag in found]
    # After the first interval: the steady state, without the start-up burst (every source due at once).
    steady = [lag for moment, lag in found if found and (moment - found[0][0]).total_seconds() >= interval]
    return {"cpu": m.cpu, "wall": m.wall, "pss": m.pss, "checks": checks(db), "bytes": db.stat().st_size,
            "lag_p50": percentile(lags, 0.5), "lag_p99": percentile(lags, 0.99), "lag_max": max(lags, default=0),
            "steady_p50": percentile(steady, 0.5), "steady_p99": percentile(steady, 0.99),
            "per_page_min": stats["min_per_page"], "per_page_max": stats["max_per_page"],
            "expected_per_page": seconds / interval, "behind_warnings": text.count("falling behind schedule"),
            "batches": int(stop.group(1)) if (stop := STOPPED.search(text)) else 0,
            "daemon_cpu": float(stop.group(3)) if stop else float("nan")}


def compare(sizes: list[int], intervals: list[int], repeats: int, seconds_rounds: float) -> list[dict]:
    results = []
    for size, interval in zip(sizes, intervals):
        rows = []
        with fixture_site(size) as site:
            for _ in range(repeats):
                with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
                    folder = Path(tmp)
                    reference = run_reference(site, folder, ROUNDS)
                    daemon = run_daemon(site, folder, interval, interval * seconds_rounds)
                rows.append({"run": reference, "daemon": daemon,
                             "ratio": (daemon["cpu"] / daemon["checks"]) / (reference["cpu"] / reference["checks"])})
        result = {"sources": size, "interval": interval, "seconds": interval * seconds_rounds, "repeats": rows}
        results.append(result)
        print("\n" + render_compare(result), flush=True)
    return results


def render_compare(result: dict) -> str:
    rows = result["repeats"]
    med = lambda f: statistics.median(f(r) for r in rows)  # noqa: E731
    lines = [[
        "tidings run", f"{ROUNDS} runs", med(lambda r: r["run"]["checks"]), med(lambda r: r["run"]["cpu"]),
        med(lambda r: 1000 * r["run"]["cpu"] / r["run"]["checks"]), "", "", "", "",
    ], [
        "tidings schedule", f"every {result['interval']} s for {result['seconds']:g} s",
        med(lambda r: r["daemon"]["checks"]),
        f"{med(lambda r: r['daemon']['cpu']):.2f} ({med(lambda r: r['daemon']['daemon_cpu']):.2f} in its loop)",
        med(lambda r: 1000 * r["daemon"]["cpu"] / r["daemon"]["checks"]), f"{med(lambda r: r['ratio']):.2f}",
        f"{min(r['daemon']['per_page_min'] for r in rows)}-{max(r['daemon']['per_page_max'] for r in rows)}"
        f" (~{result['seconds'] / result['interval']:.1f})",
        f"{med(lambda r: r['daemon']['lag_p50']):.2f} / {med(lambda r: r['daemon']['lag_p99']):.2f}",
        f"{med(lambda r: r['daemon']['steady_p50']):.2f} / {med(lambda r: r['daemon']['steady_p99']):.2f}",
        med(lambda r: r["daemon"]["batches"]),
    ]]
    lines[0] += [""]
    headers = ["", "how", "checks", "CPU s", "CPU ms/check", "daemon/run per check", "requests per page",
               "lag p50 / p99 s", "after 1st interval", "batches"]
    return (f"N = {result['sources']}, --workers {WORKERS}, median of {len(rows)}\n" + table(headers, lines))


def ceiling(sizes: list[int], rounds: float, with_run: bool = True) -> list[dict]:
    results = []
    for size in sizes:
        interval = max(10, int(INTERVAL_PER_SOURCE * size))
        with fixture_site(size) as site, tempfile.TemporaryDirectory(prefix="bench-ceiling-") as tmp:
            folder = Path(tmp)
            reference = run_reference(site, folder, 2) if with_run else None
            daemon = run_daemon(site, folder, interval, interval * rounds)
        if reference is None:
            d = daemon
            print(f"\nN = {size}: daemon every {interval} s for {interval * rounds:g} s: {d['checks']} checks,"
                  f" {d['cpu']:.2f} CPU s ({d['daemon_cpu']:.2f} in its loop), {1000 * d['cpu'] / max(1, d['checks']):.2f}"
                  f" ms per check, peak PSS {d['pss']:.0f} MiB, archive {d['bytes'] / 2**20:.1f} MiB, lag p50 / p99"
                  f" {d['lag_p50']:.1f} / {d['lag_p99']:.1f} s (after the 1st interval {d['steady_p50']:.1f} /"
                  f" {d['steady_p99']:.1f}), {d['batches']} batches", flush=True)
            results.append({"sources": size, "interval": interval, "daemon": daemon})
            continue
        result = {"sources": size, "interval": interval, "run": reference, "daemon": daemon}
        results.append(result)
        r, d = reference, daemon
        print("\n" + table(
            ["N", "", "wall s", "CPU s", "CPU ms/check", "peak PSS MiB", "archive MiB", "checks", "lag p50 / p99 / max s"],
            [[size, "run (baseline)", r["baseline"]["wall"], r["baseline"]["cpu"],
              1000 * r["baseline"]["cpu"] / size, r["baseline"]["pss"], "", size, ""],
             [size, "run (unchanged)", r["unchanged"]["wall"], r["unchanged"]["cpu"],
              1000 * r["unchanged"]["cpu"] / size, r["unchanged"]["pss"], r["bytes"] / 2**20, size, ""],
             [size, f"schedule every {interval} s, {interval * rounds:g} s", d["wall"], d["cpu"],
              1000 * d["cpu"] / max(1, d["checks"]), d["pss"], d["bytes"] / 2**20, d["checks"],
              f"{d['lag_p50']:.1f} / {d['lag_p99']:.1f} / {d['lag_max']:.1f}"
              f" (after 1st interval {d['steady_p50']:.1f} / {d['steady_p99']:.1f})"]]), flush=True)
    return results


def history(rounds: int) -> dict:
    """CPU of `tidings run` per round as the archive grows, round after round of new items."""
    cpus = []
    with fixture_site(HISTORY_SOURCES) as site, tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        config = write_config(Path(tmp), site.urls(), None)
        db = Path(tmp) / "history.db"
        cmd = [PYTHON, "-m", "monitor", "run", "--config", str(config), "--db", str(db), "-q"]
        for number in range(rounds):
            site.round(number, 2)
            cpus.append(measure(cmd).cpu)
        size = db.stat().st_size
    first, last = statistics.median(cpus[1:11]), statistics.median(cpus[-10:])
    print(f"\nHistory: {HISTORY_SOURCES} sources, {rounds} rounds of 2 new items per page; archive {size / 2**20:.1f} MiB\n"
          + table(["rounds", "CPU s per run (median)"], [["2-11", first], [f"{rounds - 9}-{rounds}", last],
                                                        ["ratio last/first", last / first]]), flush=True)
    return {"rounds": rounds, "cpus": cpus, "first": first, "last": last, "bytes": size}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--interval", default="10,30", help="seconds between checks of a source, per size")
    parser.add_argument("--rounds", type=float, default=3.5, help="how many intervals the daemon runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ceiling", default="", help="sizes for the one-machine ceiling, e.g. 1000,10000,50000")
    parser.add_argument("--daemon-only", action="store_true", help="ceiling: skip the `tidings run` rounds")
    parser.add_argument("--history", type=int, default=0, help="rounds of `tidings run` for cost vs history")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    print(machine(), flush=True)
    compile_code(ROOT)
    out: dict = {"machine": machine()}
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        intervals = [int(s) for s in args.interval.split(",")]
        intervals += intervals[-1:] * (len(sizes) - len(intervals))
        out["compare"] = compare(sizes, intervals, args.repeats, args.rounds)
    if args.ceiling:
        out["ceiling"] = ceiling([int(s) for s in args.ceiling.split(",")], 1.5, with_run=not args.daemon_only)
    if args.history:
        out["history"] = history(args.history)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    sys.exit(main())
