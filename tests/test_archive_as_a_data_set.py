"""The archive as a data set: migrations keep every row, views, indexes,
Datasette with the shipped metadata, and the sqlite-utils CLI."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from monitor.archive import MIGRATIONS, SCHEMA_VERSION, Archive, queries
from scraper.items import Record
from tests.archives import A3, DAY1, SOURCE_URLS, W1, W1_EDITED, build_sample
from tests.helpers import ROOT, tidings

TABLES = ["sources", "crawls", "items", "item_versions", "sightings", "meta"]
VIEWS = ["items_with_source", "item_versions_with_source", "new_items_per_day", "latest_crawls"]


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in TABLES + ["items_fts"]}
    finally:
        conn.close()


def version_1_archive(path: Path) -> None:
    """An archive as schema version 1 left it, with rows in every table."""
    db = sqlite_utils.Database(path)
    MIGRATIONS[1](db)
    db.execute("INSERT INTO meta VALUES ('migration:1', 'v1'), ('schema_version', '1')")
    db.execute("INSERT INTO sources (id, name, url) VALUES (1, 'water', 'https://water.example/news')")
    db.execute(
        "INSERT INTO crawls (id, run_id, source_id, started, finished, status, items_seen, new, pages)"
        " VALUES (1, 'r1', 1, ?, ?, 'baseline', 2, 0, 1), (2, 'r2', 1, ?, ?, 'ok', 2, 0, 1)",
        (DAY1, DAY1, "2026-01-11T08:00:00.000+00:00", "2026-01-11T08:00:00.000+00:00"),
    )
    db.execute(
        "INSERT INTO items (id, source_id, key, url, headline, summary, published, first_seen, last_seen,"
        " first_crawl_id, last_crawl_id, position, versions) VALUES"
        " (1, 1, 'url:' || ?, ?, ?, ?, ?, ?, '2026-01-11T08:00:00.000+00:00', 1, 2, 0, 2),"
        " (2, 1, 'headline:abc', NULL, 'Second', '', NULL, ?, '2026-01-11T08:00:00.000+00:00', 1, 2, 1, 1)",
        (W1[2], W1[2], W1_EDITED[0], W1[1], W1[3], DAY1, DAY1),
    )
    db.execute(
        "INSERT INTO item_versions (item_id, crawl_id, seen_at, headline, summary, published) VALUES"
        " (1, 1, ?, ?, ?, ?), (2, 1, ?, 'Second', '', NULL), (1, 2, '2026-01-11T08:00:00.000+00:00', ?, ?, ?)",
        (DAY1, W1[0], W1[1], W1[3], DAY1, W1_EDITED[0], W1[1], W1[3]),
    )
    db.execute("INSERT INTO sightings VALUES (1, 1, 0), (1, 2, 1), (2, 1, 0), (2, 2, 1)")
    db.conn.commit()
    db.close()


def test_migrating_a_version_1_archive_keeps_every_row(tmp_path):
    path = tmp_path / "tidings.db"
    version_1_archive(path)
    before = counts(path)
    assert all(before[t] for t in before), before
    with Archive(path) as archive:
        assert archive.applied_migrations() == set(MIGRATIONS)
        assert archive.schema_version() == SCHEMA_VERSION
        views = {r[0] for r in archive.conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
        assert set(VIEWS) <= views
        # Both items came with the source's first (baseline) crawl: none of them was new.
        assert archive.conn.execute("SELECT * FROM new_items_per_day").fetchall() == [("water", "2026-01-10", 0, 2)]
        assert archive.conn.execute("SELECT source, status, run_id FROM latest_crawls").fetchall() == [("water", "ok", "r2")]
        rows = archive.conn.execute("SELECT item_id, source, headline FROM items_with_source ORDER BY item_id").fetchall()
        assert rows == [(1, "water", W1_EDITED[0]), (2, "water", "Second")]
    after = counts(path)
    assert {t: after[t] for t in before if t != "meta"} == {t: before[t] for t in before if t != "meta"}
    assert after["meta"] == before["meta"] + len(MIGRATIONS) - 1
    # Opening again changes nothing; the data is usable through the commands.
    Archive(path).close()
    assert counts(path) == after
    found = tidings("search", "wasser", "--db", str(path), "--json")
    assert [r["headline"] for r in found.json] == [W1_EDITED[0]]
    exported = tidings("export", "--db", str(path), "--versions", "--format", "json").json
    assert [(v["item_id"], v["version"], v["headline"]) for v in exported] == [
        (1, 1, W1[0]), (1, 2, W1_EDITED[0]), (2, 1, "Second")]
    # The sqlite-utils CLI works on the migrated archive.
    assert {t["table"]: t["count"] for t in sqlite_utils_cli("tables", str(path), "--counts")}["items"] == 2
    assert set(VIEWS) <= {v["view"] for v in sqlite_utils_cli("views", str(path))}
    hits = sqlite_utils_cli("search", str(path), "items", "wasser")
    assert [h["headline"] for h in hits] == [W1_EDITED[0]]
    assert [r["source"] for r in sqlite_utils_cli("rows", str(path), "items_with_source")] == ["water", "water"]


def sqlite_utils_cli(*args: str):
    proc = subprocess.run([sys.executable, "-m", "sqlite_utils", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_export_search_and_feed_read_an_unmigrated_archive(tmp_path):
    """Read-only commands never migrate: they work on an archive an older Tidings wrote."""
    path = tmp_path / "tidings.db"
    version_1_archive(path)
    assert tidings("export", "--db", str(path), "--format", "ndjson").code == 0
    assert tidings("feed", "--db", str(path)).code == 0
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "tidings.db"
    return path, build_sample(path)


def test_datasette_serves_the_archive_with_the_shipped_metadata(sample):
    from datasette.app import Datasette

    path, expected = sample
    metadata = json.loads((ROOT / "metadata.json").read_text(encoding="utf-8"))

    async def fetch(*urls: str) -> list:
        ds = Datasette([str(path)], metadata=metadata)
        await ds.invoke_startup()
        answers = []
        for url in urls:
            response = await ds.client.get(url)
            assert response.status_code == 200, (url, response.text[:500])
            answers.append(response.json())
        return answers

    edited, found, per_day, health, meta = asyncio.run(fetch(
        "/tidings/edited_items.json?_shape=array",
        "/tidings/search_items.json?_shape=array&q=water",
        "/tidings/new_items_by_source.json?_shape=array&source=water",
        "/tidings/source_health.json?_shape=array",
        "/-/metadata.json",
    ))
    want = [(v["item_id"], v["headline"], v["summary"]) for v in expected.version_rows()
            if expected.items[v["item_id"] - 1]["versions"] > 1]
    assert [(r["item_id"], r["headline"], r["summary"]) for r in edited] == sorted(want, key=lambda w: w[0])
    assert [(r["source"], r["headline"]) for r in found] == [("air", A3[0])]
    assert per_day == [{"day": "2026-01-12", "new_items": 1, "baseline_items": 0},
                       {"day": "2026-01-10", "new_items": 0, "baseline_items": 3}]
    assert sorted((r["source"], r["status"]) for r in health) == [("air", "ok"), ("water", "ok")]
    assert meta["databases"]["tidings"]["tables"]["items"]["columns"]["first_seen"]


def test_metadata_describes_every_table_view_and_column(sample):
    path, _ = sample
    metadata = json.loads((ROOT / "metadata.json").read_text(encoding="utf-8"))["databases"]["tidings"]["tables"]
    db = sqlite_utils.Database(path)
    for name in TABLES + VIEWS:
        assert metadata[name]["description"], name
    for name in ["sources", "crawls", "items", "item_versions", "sightings"]:
        undocumented = set(db[name].columns_dict) - set(metadata[name]["columns"]) - {"id"}
        assert not undocumented, (name, undocumented)


def plans(archive: Archive, run) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT a query function runs."""
    statements: list[str] = []
    archive.conn.set_trace_callback(statements.append)
    run()
    archive.conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects
    details = []
    for sql in selects:  # the trace gives each statement with its values bound
        details += [row[3] for row in archive.conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return details


def test_queries_use_indexes(sample):
    """No full scan of items or item_versions, and no sort of the whole export."""
    path, _ = sample
    with Archive(path, readonly=True) as archive:
        cases = [
            lambda: list(queries.item_rows(archive, queries.Selection())),
            lambda: list(queries.item_rows(archive, queries.Selection(sources=("water",), since=DAY1))),
            lambda: list(queries.version_rows(archive, queries.Selection(until=DAY1))),
            lambda: queries.newest_items(archive, ("air",), 5),
            lambda: queries.newest_items(archive, (), 5),
        ]
        for case in cases:
            for detail in plans(archive, case):
                assert not detail.startswith(("SCAN i ", "SCAN v ")) or "USING" in detail, detail
                assert detail != "SCAN i" and detail != "SCAN v", detail
                assert "TEMP B-TREE FOR ORDER BY" not in detail, detail


def test_links_archived_in_an_older_spelling_keep_their_items(tmp_path):
    """Migration 7: a link archived as "/caf%c3%a9" or "/café" is the item crawled now as "/caf%C3%A9"."""
    path = tmp_path / "tidings.db"
    old = ["https://water.example/caf%c3%a9", "https://water.example/bücher", "https://bücher.example/a",
           "https://water.example/plain", "https://water.example/50%25-off", "https://faß.example/b"]
    with Archive(path) as archive:
        with archive.transaction():
            state = archive.crawls.source_state("water", SOURCE_URLS["water"])
            crawl_id = archive.crawls.add(run_id="r1", source_id=state.id, started=DAY1, finished=DAY1, status="baseline",
                                          http_status=200, items_seen=len(old), new=0, updated=0, error=None, pages=1)
            archive.crawls.add_items(state.id, crawl_id, DAY1, [Record("water", f"Item {i}", "", url, None, i)
                                                                 for i, url in enumerate(old)])
        archive.conn.execute("DELETE FROM meta WHERE key = 'migration:7'")  # as an archive from before it
        archive.conn.commit()
    with Archive(path) as archive:
        assert 7 in archive.applied_migrations()
        keys = [row[0] for row in archive.conn.execute("SELECT key FROM items ORDER BY id")]
        records = [Record("water", f"Item {i}", "", url, None, i) for i, url in enumerate(
            ["https://water.example/caf%C3%A9", "https://water.example/b%C3%BCcher", "https://xn--bcher-kva.example/a",
             "https://water.example/plain", "https://water.example/50%25-off", "https://xn--fa-hia.example/b"])]
        assert keys == [r.key for r in records]
        assert set(archive.crawls.known_items(1, [r.key for r in records])) == {r.key for r in records}


def test_respelling_links_never_merges_two_archived_items(tmp_path):
    path = tmp_path / "tidings.db"
    both = ["https://water.example/caf%c3%a9", "https://water.example/caf%C3%A9"]
    with Archive(path) as archive:
        with archive.transaction():
            state = archive.crawls.source_state("water", SOURCE_URLS["water"])
            crawl_id = archive.crawls.add(run_id="r1", source_id=state.id, started=DAY1, finished=DAY1, status="baseline",
                                          http_status=200, items_seen=2, new=0, updated=0, error=None, pages=1)
            archive.crawls.add_items(state.id, crawl_id, DAY1, [Record("water", f"Item {i}", "", url, None, i)
                                                                 for i, url in enumerate(both)])
        archive.conn.execute("DELETE FROM meta WHERE key = 'migration:7'")
        archive.conn.commit()
    with Archive(path) as archive:
        assert 7 in archive.applied_migrations()
        assert [row[0] for row in archive.conn.execute("SELECT url FROM items ORDER BY id")] == both


def test_the_archive_accepts_exactly_the_statuses_and_states_the_code_names(tmp_path):
    """The frozen CHECK constraints of migrations 1 and 2 and the vocabularies the code writes agree."""
    from monitor.archive.outbox import DEAD, PENDING, SENT
    from monitor.statuses import CRAWL_STATUSES, SKIPPED

    with Archive(tmp_path / "tidings.db") as archive:
        conn = archive.conn
        conn.execute("INSERT INTO sources (id, name, url) VALUES (1, 'water', 'https://water.example/news')")

        def accepted(table: str, sql: str, value: str) -> bool:
            try:
                conn.execute(sql, (value,))
            except sqlite3.IntegrityError:
                return False
            conn.execute(f"DELETE FROM {table}")
            return True

        crawl = "INSERT INTO crawls (run_id, source_id, started, finished, status) VALUES ('r', 1, 't', 't', ?)"
        assert [s for s in (*CRAWL_STATUSES, SKIPPED, "OK") if accepted("crawls", crawl, s)] == list(CRAWL_STATUSES)
        delivery = ("INSERT INTO deliveries (id, notifier, kind, payload, state, next_attempt, created)"
                    " VALUES ('d', 'hook', 'items', '{}', ?, 't', 't')")
        assert [s for s in (PENDING, SENT, DEAD, "failed") if accepted("deliveries", delivery, s)] == [PENDING, SENT, DEAD]
        conn.rollback()
