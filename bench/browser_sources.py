"""What a source with render = "browser" costs a `tidings run`, and that it does not slow the HTTP sources.

    python -m bench.browser_sources [--http 200] [--browser 5] [--repeats 5]

Whole `tidings run`s (fresh archive each), on the fixture site (bench.site,
server-rendered listing pages, so the same page can be read both ways),
interleaved, medians of `--repeats`:

- `http-1` / `browser-1`: one source, the same page, over HTTP / rendered
  in Chromium: what one browser source costs (wall, CPU of the whole process
  tree, Chromium included, and its peak memory);
- `http-N`: N HTTP sources;
- `browser-B`: B browser sources alone (other pages of the site);
- `mixed`: the N HTTP sources and the B browser sources in one run;
- `mixed-2p`: the same with `[crawl] processes = 2` (a forked worker takes
  HTTP sources; the browser sources stay with `tidings run` itself).

"HTTP done" is when the run's last HTTP source finished (its crawl's
`finished` in the archive), from the run's start: what the HTTP sources of a
run wait.  The claim checked: `mixed` takes no longer than `http-N` plus
the browser sources' own time (`browser-B` minus `http-1`, the start-up
both runs pay), and its HTTP sources are done no later.  Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from bench.common import PYTHON, ROOT, Measure, compile_code, fixture_site, machine, measure, table
from bench.crawl import LOOPBACK_CRAWL
from bench.site import SELECTORS


def write_run(folder: Path, http: list[str], browser: list[str], processes: int = 0) -> list[str]:
    """A tidings.toml with these sources (HTTP ones first) and the `tidings run` command."""
    crawl = {**LOOPBACK_CRAWL, "processes": processes}
    lines = ["[crawl]"] + [f"{k} = {json.dumps(v)}" for k, v in crawl.items()]
    for kind, urls in (("h", http), ("b", browser)):
        for i, url in enumerate(urls):
            lines.append(f'\n[[source]]\nname = "{kind}{i}"\nurl = {json.dumps(url)}')
            lines += [f"{k} = {json.dumps(v)}" for k, v in SELECTORS.items()]
            if kind == "b":
                lines.append('render = "browser"')
    config = folder / "tidings.toml"
    config.write_text("\n".join(lines) + "\n")
    return [PYTHON, "-m", "monitor", "run", "--config", str(config), "--db", str(folder / "archive.db"), "-q"]


def http_done(db: Path) -> float:
    """Seconds from the run's first crawl start to its last HTTP source's end; all must be baseline."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT s.name, c.started, c.finished, c.status FROM crawls c"
                            " JOIN sources s ON s.id = c.source_id").fetchall()
    bad = [(name, status) for name, _, _, status in rows if status != "baseline"]
    if bad:
        raise SystemExit(f"not every source was crawled well: {bad[:5]}")
    start = min(datetime.fromisoformat(started) for _, started, _, _ in rows)
    ends = [datetime.fromisoformat(finished) for name, _, finished, _ in rows if name.startswith("h")]
    return (max(ends) - start).total_seconds() if ends else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", type=int, default=200, help="HTTP sources of the mixed run")
    parser.add_argument("--browser", type=int, default=5, help="browser sources of the mixed run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from scraper.browser import find_browser

    compile_code(ROOT)
    print(machine())
    print(f"browser: {find_browser()}")
    n, b = args.http, args.browser
    modes = ("http-1", "browser-1", f"http-{n}", f"browser-{b}", "mixed", "mixed-2p")
    with fixture_site(n + b) as site:
        urls = site.urls()
        jobs = {
            "http-1": (urls[:1], []), "browser-1": ([], urls[:1]),
            f"http-{n}": (urls[:n], []), f"browser-{b}": ([], urls[n:n + b]),
            "mixed": (urls[:n], urls[n:n + b]), "mixed-2p": (urls[:n], urls[n:n + b]),
        }
        runs: dict[str, list[Measure]] = {mode: [] for mode in modes}
        done: dict[str, list[float]] = {mode: [] for mode in modes}
        for _ in range(args.repeats):
            for mode in modes:
                with tempfile.TemporaryDirectory() as tmp:
                    folder = Path(tmp)
                    http, browser = jobs[mode]
                    command = write_run(folder, http, browser, processes=2 if mode == "mixed-2p" else 0)
                    runs[mode].append(measure(command))
                    done[mode].append(http_done(folder / "archive.db"))
    medians = {mode: Measure.median(runs[mode]) for mode in modes}
    base, alone = medians["http-1"], medians[f"http-{n}"]
    rows = []
    for mode in modes:
        m = medians[mode]
        rows.append([mode, m.wall, m.cpu, m.rss, m.pss, statistics.median(done[mode]) if jobs[mode][0] else "-",
                     m.wall / base.wall, m.cpu / base.cpu, m.pss / base.pss])
    print()
    print(table(["run", "wall s", "CPU s", "peak RSS MiB (tree)", "peak PSS MiB (tree)", "HTTP done s",
                 "wall / http-1", "CPU / http-1", "PSS / http-1"], rows))
    own = medians[f"browser-{b}"].wall - base.wall
    print()
    print(f"browser sources' own time (browser-{b} - http-1): {own:.2f} s")
    for mode in ("mixed", "mixed-2p"):
        m = medians[mode]
        bound = alone.wall + own
        print(f"{mode}: {m.wall:.2f} s vs http-{n} + own time = {bound:.2f} s (ratio {m.wall / bound:.2f});"
              f" HTTP done {statistics.median(done[mode]):.2f} s vs {statistics.median(done[f'http-{n}']):.2f} s"
              f" alone (ratio {statistics.median(done[mode]) / statistics.median(done[f'http-{n}']):.2f})")


if __name__ == "__main__":
    sys.exit(main())
