"""Crawl throughput: `tidings run` against urlwatch and the floor, same pages, same run.

For each size N and each tool, from a fresh state:

  baseline   every page seen for the first time (round 0)
  changed    2 new items at the top of every page (round 1)
  unchanged  the same pages again: with conditional requests every answer is a 304

Each phase is timed as a child process (wall, CPU, peak RSS of its process
tree); the server's counters check that every page was really asked.  The
table gives medians over the repeats and Tidings' ratios to the others.

    python -m bench.crawl --sizes 200,1000 --repeats 3 [--no-urlwatch] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench import urlwatch_runner
from bench.common import PYTHON, ROOT, Measure, compile_code, fixture_site, machine, measure, table
from bench.site import SELECTORS

PHASES = ("baseline", "changed", "unchanged")
# The floor's work on the barest Scrapy spider (bench.scrapy_floor), in one or two processes.
SCRAPY_FLOORS = {"scrapy-floor": 1, "scrapy-floor-2p": 2}
NEW_PER_ROUND = 2

# As the peers run on loopback: no politeness delay, 16 requests at once to the
# one host, no AutoThrottle, robots.txt not asked (neither urlwatch nor the floor asks it).
LOOPBACK_CRAWL = {"delay": 0, "per_domain": 16, "concurrency": 16, "autothrottle": False, "obey_robots": False}


def tidings_setup(folder: Path, urls: list[str], crawl: dict | None = None) -> list[str]:
    """A tidings.toml with one source per page; the `tidings run` command."""
    lines = ["[crawl]"] + [f"{k} = {json.dumps(v)}" for k, v in {**LOOPBACK_CRAWL, **(crawl or {})}.items()]
    for i, url in enumerate(urls):
        lines.append(f"\n[[source]]\nname = \"s{i}\"\nurl = {json.dumps(url)}")
        lines += [f"{k} = {json.dumps(v)}" for k, v in SELECTORS.items()]
    config = folder / "tidings.toml"
    config.write_text("\n".join(lines) + "\n")
    return [PYTHON, "-m", "monitor", "run", "--config", str(config), "--db", str(folder / "archive.db"), "-q"]


def floor_setup(folder: Path, urls: list[str]) -> list[str]:
    (folder / "urls.txt").write_text("\n".join(urls))
    return [PYTHON, "-m", "bench.floor", "--state", str(folder / "state.json"), "--urls-file", str(folder / "urls.txt")]


def scrapy_floor_setup(folder: Path, urls: list[str], processes: int) -> list[str]:
    (folder / "urls.txt").write_text("\n".join(urls))
    return [PYTHON, "-m", "bench.scrapy_floor", "--state", str(folder / "state.json"),
            "--urls-file", str(folder / "urls.txt"), "--processes", str(processes)]


def run_tool(tool: str, site, folder: Path, code: Path | None = None) -> dict[str, Measure]:
    """One fresh baseline/changed/unchanged sequence of one tool (Tidings from `code` if given)."""
    urls = site.urls()
    other = code if code and tool.startswith("tidings") else None
    env = {"PYTHONPATH": str(other)} if other else None
    if tool == "tidings":
        cmd = tidings_setup(folder, urls)
    elif tool == "tidings-1w":  # one process, no worker processes
        cmd = tidings_setup(folder, urls, {"processes": 1})
    elif tool == "floor":
        cmd = floor_setup(folder, urls)
    elif tool in SCRAPY_FLOORS:
        cmd = scrapy_floor_setup(folder, urls, SCRAPY_FLOORS[tool])
    else:
        cmd = urlwatch_runner.write_setup(folder, urls)
        env = urlwatch_runner.environment(folder)
    site.round(0, 0)
    results = {}
    for phase in PHASES:
        if phase == "changed":
            site.round(1, NEW_PER_ROUND)
        site.control("reset")
        # tidings exits 1 when a source is suspect/failed; that must not happen here.
        results[phase] = measure(cmd, env=env, cwd=other)  # `python -m` looks in the cwd first
        stats = site.control("stats")
        if stats["200"] + stats["304"] != len(urls) or stats["paths"] != len(urls):
            raise RuntimeError(f"{tool} {phase}: the server saw {stats}, expected every one of {len(urls)} pages once")
        results[phase + "_304"] = stats["304"]
    return results


def bench_size(sources: int, repeats: int, tools: list[str], code: Path | None = None) -> dict:
    runs: dict[str, dict[str, list[Measure]]] = {t: {p: [] for p in PHASES} for t in tools}
    not_modified: dict[str, int] = {}
    with fixture_site(sources) as site:
        for _ in range(repeats):
            for tool in tools:
                with tempfile.TemporaryDirectory(prefix=f"bench-{tool}-") as tmp:
                    result = run_tool(tool, site, Path(tmp), code)
                for phase in PHASES:
                    runs[tool][phase].append(result[phase])
                not_modified[tool] = result["unchanged_304"]
    return {
        "sources": sources,
        "repeats": repeats,
        "median": {t: {p: Measure.median(runs[t][p]).__dict__ for p in PHASES} for t in tools},
        "unchanged_answered_304": not_modified,
    }


def render(result: dict) -> str:
    med = result["median"]
    rows = []
    for phase in PHASES:
        for tool in med:
            m = med[tool][phase]
            ratios = ["", ""]
            for i, peer in enumerate(("urlwatch", "floor")):
                # Every row is read against the floor; Tidings' rows against urlwatch too.
                if peer in med and tool != peer and (tool.startswith("tidings") or peer == "floor"):
                    p = med[peer][phase]
                    ratios[i] = f"{m['wall'] / p['wall']:.2f} / {m['cpu'] / p['cpu']:.2f} / {m['rss'] / p['rss']:.2f}"
            rows.append([phase, tool, m["wall"], m["cpu"], m["rss"], m["pss"], *ratios])
    headers = ["phase", "tool", "wall s", "CPU s", "peak RSS MiB", "peak PSS MiB",
               "Tidings/urlwatch (wall/CPU/RSS)", "this row/floor (wall/CPU/RSS)"]
    return (f"N = {result['sources']} sources, median of {result['repeats']} runs; "
            f"304 answers in the unchanged phase: {result['unchanged_answered_304']}\n" + table(headers, rows))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Crawl throughput: Tidings vs urlwatch vs the floor.")
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-urlwatch", action="store_true", help="skip urlwatch (no PyPI install needed)")
    parser.add_argument("--tools", default="tidings,tidings-1w,urlwatch,floor,scrapy-floor,scrapy-floor-2p",
                        help="tidings (automatic worker processes), tidings-1w (processes = 1), urlwatch, floor, "
                             "scrapy-floor / scrapy-floor-2p (the floor's work on a bare Scrapy spider, 1 or 2 processes)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--code", type=Path, help="run Tidings from this checkout (before/after comparisons)")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t and not (args.no_urlwatch and t == "urlwatch")]
    print(machine())
    print("Tidings [crawl] for loopback, as the peers run: "
          + ", ".join(f"{k} = {json.dumps(v)}" for k, v in LOOPBACK_CRAWL.items())
          + f"; urlwatch {urlwatch_runner.URLWATCH_VERSION} with {urlwatch_runner.PARALLEL} worker threads;"
          " floor: 16 keep-alive connections", flush=True)
    for checkout in {ROOT, args.code or ROOT}:  # the floor runs from ROOT, Tidings from --code if given
        compile_code(checkout)
    results = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        result = bench_size(size, args.repeats, tools, args.code)
        results.append(result)
        print("\n" + render(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "crawl": LOOPBACK_CRAWL, "results": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
