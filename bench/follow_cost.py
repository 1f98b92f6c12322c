"""What following items to their articles costs a run: `follow = true` against without, same pages, same run.

For each repeat and each mode, from a fresh archive: a baseline run over N
sources (20 items each, `follow = false`, not timed), then 2 new items at
the top of every listing and the measured run, with `follow = true` (the 2N
new items' articles fetched and extracted in the same crawl) or without.
Both modes are measured in every repeat, alternating, so a slower moment of
the machine falls on both; the table gives medians and the ratio
follow/without.  The server's counters check that every listing was read
and, with follow, every new article fetched exactly once.

    python -m bench.follow_cost --sources 200 --repeats 5 [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from pathlib import Path

from bench.common import PYTHON, Measure, fixture_site, machine, measure, table
from bench.crawl import LOOPBACK_CRAWL
from bench.site import SELECTORS

NEW_PER_SOURCE = 2
MODES = ("without", "follow")


def write_config(folder: Path, urls: list[str], follow: bool) -> Path:
    lines = ["[crawl]"] + [f"{k} = {json.dumps(v)}" for k, v in LOOPBACK_CRAWL.items()]
    lines += ["[defaults]", f"follow = {json.dumps(follow)}"]
    for i, url in enumerate(urls):
        lines.append(f"\n[[source]]\nname = \"s{i}\"\nurl = {json.dumps(url)}")
        lines += [f"{k} = {json.dumps(v)}" for k, v in SELECTORS.items()]
    config = folder / "tidings.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def one_run(site, folder: Path, follow: bool) -> Measure:
    """A baseline without follow, then the measured run with 2 new items per source."""
    urls = site.urls()
    db = folder / "archive.db"
    site.round(0, 0)
    config = write_config(folder, urls, follow=False)
    cmd = [PYTHON, "-m", "monitor", "run", "--config", str(config), "--db", str(db), "-q"]
    measure(cmd)
    site.round(1, NEW_PER_SOURCE)
    write_config(folder, urls, follow=follow)
    site.control("reset")
    result = measure(cmd)
    stats = site.control("stats")
    expected_articles = len(urls) * NEW_PER_SOURCE if follow else 0
    if stats["200"] != len(urls) or stats["articles"] != expected_articles or stats["max_per_path"] != 1:
        raise RuntimeError(f"follow={follow}: the server saw {stats}; expected {len(urls)} listings and"
                           f" {expected_articles} articles, each once")
    if follow:
        with sqlite3.connect(db) as conn:
            good = conn.execute("SELECT count(*) FROM articles WHERE error IS NULL AND text != ''").fetchone()[0]
        if good != expected_articles:
            raise RuntimeError(f"{good} good articles archived, expected {expected_articles}")
    return result


def bench(sources: int, repeats: int) -> dict:
    runs: dict[str, list[Measure]] = {mode: [] for mode in MODES}
    with fixture_site(sources) as site:
        for _ in range(repeats):
            for mode in MODES:
                with tempfile.TemporaryDirectory(prefix=f"bench-follow-{mode}-") as tmp:
                    runs[mode].append(one_run(site, Path(tmp), follow=mode == "follow"))
    return {
        "sources": sources,
        "new_per_source": NEW_PER_SOURCE,
        "repeats": repeats,
        "runs": {mode: [m.__dict__ for m in ms] for mode, ms in runs.items()},
        "median": {mode: Measure.median(ms).__dict__ for mode, ms in runs.items()},
    }


def render(result: dict) -> str:
    med = result["median"]
    base = med["without"]
    rows = []
    for mode in MODES:
        m = med[mode]
        rows.append([mode, m["wall"], m["cpu"], m["rss"],
                     f"{m['wall'] / base['wall']:.2f} / {m['cpu'] / base['cpu']:.2f} / {m['rss'] / base['rss']:.2f}"])
    articles = result["sources"] * result["new_per_source"]
    extra = med["follow"]
    per_article = f"{1000 * (extra['cpu'] - base['cpu']) / articles:.1f} ms CPU per article"
    return (f"N = {result['sources']} sources, {result['new_per_source']} new items each ({articles} articles with"
            f" follow), median of {result['repeats']} runs; {per_article}\n"
            + table(["run", "wall s", "CPU s", "peak RSS MiB", "this/without (wall/CPU/RSS)"], rows))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The cost of follow = true in a run.")
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    print(machine())
    result = bench(args.sources, args.repeats)
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
