"""Archive scaling: the same 50-source run against an empty archive and a big one.

The big archive holds ITEMS items (each with its first version) and
SIGHTINGS crawl-item observations spread over filler sources, written with
bulk SQL straight into Tidings' schema (the schema comes from opening it
with monitor.archive, so it is exactly what `tidings run` migrates to).  It
is built once and kept under $TIDINGS_BENCH_CACHE; each measured run adds a
few rows, which changes nothing measurable.

Both archives first get one unmeasured baseline run of the 50 sources; each
measured run is then a round with 2 new items per page.  The table gives
medians of wall time and peak RSS, their ratios (targets <= 1.2 and <= 1.1)
and the big archive's bytes per item.

    python -m bench.archive_scaling [--items 1000000 --sightings 10000000 --repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Measure, fixture_site, machine, measure, table
from bench.crawl import tidings_setup
from bench.urlwatch_runner import cache_dir

FILLER_ITEMS_PER_SOURCE = 1000
ITEMS_PER_CRAWL = 20


def build(path: Path, items: int, sightings: int) -> None:
    """A Tidings archive with `items` items and `sightings` sightings, by bulk SQL."""
    from monitor.archive import Archive

    path.unlink(missing_ok=True)
    Archive(path).close()  # the schema, every migration applied
    sources = max(1, -(-items // FILLER_ITEMS_PER_SOURCE))
    crawls = max(1, sightings // ITEMS_PER_CRAWL)
    crawls_per_source = max(1, crawls // sources)
    per_source = min(FILLER_ITEMS_PER_SOURCE, items)
    per_crawl = min(ITEMS_PER_CRAWL, per_source)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    with conn:
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ?)"
            " INSERT INTO sources (id, name, url) SELECT x + 1, 'filler-' || x, 'https://filler.example/' || x || '/news' FROM n",
            (sources - 1,),
        )
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ?)"
            " INSERT INTO crawls (id, run_id, source_id, started, finished, status, http_status, items_seen, pages)"
            " SELECT x + 1, 'bulk-' || (x % ?), x / ? % ? + 1, '2024-01-01T00:00:00.000+00:00',"
            " '2024-01-01T00:00:01.000+00:00', 'ok', 200, ?, 1 FROM n",
            (crawls - 1, crawls_per_source, crawls_per_source, sources, per_crawl),
        )
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ?)"
            " INSERT INTO items (id, source_id, key, url, headline, summary, published, first_seen, last_seen,"
            " first_crawl_id, last_crawl_id, position, versions)"
            " SELECT x + 1, x / ? + 1, 'url:https://filler.example/item/' || x, 'https://filler.example/item/' || x,"
            " 'Filler release ' || x || ' on regional cooperation in water and air policy',"
            " 'Ministers met to discuss item ' || x || '.' || char(10) || char(10) || 'They agreed on a plan.',"
            " '2024-01-01', '2024-01-01T00:00:00.000+00:00', '2024-01-01T00:00:00.000+00:00', NULL, NULL, x % 20, 1"
            " FROM n",
            (items - 1, FILLER_ITEMS_PER_SOURCE),
        )
        conn.execute(
            "INSERT INTO item_versions (item_id, seen_at, headline, summary, published)"
            " SELECT id, first_seen, headline, summary, published FROM items"
        )
        # Crawl c of source s saw 20 consecutive items of s (distinct within the crawl).
        conn.execute(
            "WITH RECURSIVE j(y) AS (SELECT 0 UNION ALL SELECT y + 1 FROM j WHERE y < ?)"
            " INSERT INTO sightings (crawl_id, item_id, position)"
            " SELECT c.id, (c.source_id - 1) * ? + ((c.id * 2 + j.y) % ?) + 1, j.y FROM crawls c, j"
            " WHERE (c.source_id - 1) * ? + ((c.id * 2 + j.y) % ?) + 1 <= ? ORDER BY c.id",
            (per_crawl - 1, FILLER_ITEMS_PER_SOURCE, per_source, FILLER_ITEMS_PER_SOURCE, per_source, items),
        )
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("ANALYZE")
    conn.close()


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        return (conn.execute("SELECT count(*) FROM items").fetchone()[0],
                conn.execute("SELECT count(*) FROM sightings").fetchone()[0])


def big_archive(items: int, sightings: int) -> Path:
    """The big archive, built once per size and kept in the benchmark cache."""
    path = cache_dir() / f"archive-{items}-{sightings}.db"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        build(partial, items, sightings)
        partial.rename(path)
        print(f"built {path} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def archive_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Archive scaling: empty vs big archive.")
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--sightings", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(machine(), flush=True)
    big = big_archive(args.items, args.sightings)
    items, sightings = counts(big)
    runs: dict[str, list[Measure]] = {"empty": [], "big": []}
    with fixture_site(args.sources) as site, tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        folders = {name: Path(tmp) / name for name in runs}
        commands = {}
        for name, folder in folders.items():
            folder.mkdir()
            if name == "big":
                shutil.copy(big, folder / "archive.db")
            commands[name] = tidings_setup(folder, site.urls())
        site.round(0, 0)
        for name in runs:
            measure(commands[name])  # the 50 sources' baseline, not measured
        for repeat in range(1, args.repeats + 1):
            site.round(repeat, 2)
            for name in runs:
                runs[name].append(measure(commands[name]))
        per_item = archive_bytes(folders["big"] / "archive.db") / counts(folders["big"] / "archive.db")[0]
    empty, full = Measure.median(runs["empty"]), Measure.median(runs["big"])
    print(f"\n{args.sources} sources, 2 new items each, median of {args.repeats} runs;"
          f" big archive: {items:,} items, {sightings:,} sightings, {per_item:.0f} bytes per item")
    print(table(
        ["archive", "wall s", "CPU s", "peak RSS MiB"],
        [["empty", empty.wall, empty.cpu, empty.rss], ["big", full.wall, full.cpu, full.rss],
         ["ratio big/empty (targets: wall <= 1.2, RSS <= 1.1)", full.wall / empty.wall, full.cpu / empty.cpu,
          full.rss / empty.rss]],
    ))


if __name__ == "__main__":
    sys.exit(main())
