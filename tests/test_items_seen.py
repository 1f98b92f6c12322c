"""One truth for a failed crawl's items: the archive, the JSON report and the
text report all say 0 (it read none); older archives are migrated."""

from __future__ import annotations

import sqlite3

from monitor.archive import Archive
from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing


def test_a_failed_crawl_saw_0_items_everywhere(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "t.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    site.pages["/news"] = Page("busy", status=503)
    result = tidings("run", "--config", str(config), "--db", str(db), "--json")
    assert result.code == 1
    (report,) = result.json["sources"]
    assert report["status"] == "failed" and report["items_seen"] == 0
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT status, items_seen FROM crawls ORDER BY id").fetchall()
    conn.close()
    assert stored == [("baseline", 10), ("failed", 0)]


def test_migration_9_sets_old_nulls_to_0(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path):
        pass
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO sources (id, name, url) VALUES (1, 'news', 'https://example.org/')")
        conn.execute("INSERT INTO crawls (run_id, source_id, started, finished, status, items_seen, error)"
                     " VALUES ('r1', 1, '2026-01-01T00:00:00', '2026-01-01T00:00:01', 'failed', NULL, 'HTTP 503')")
        conn.execute("INSERT INTO crawls (run_id, source_id, started, finished, status, items_seen)"
                     " VALUES ('r2', 1, '2026-01-02T00:00:00', '2026-01-02T00:00:01', 'ok', 12)")
        conn.execute("DELETE FROM meta WHERE key = 'migration:11'")
        conn.execute("UPDATE meta SET value = '10' WHERE key = 'schema_version'")
    conn.close()
    with Archive(path) as archive:
        assert 11 in archive.applied_migrations()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT status, items_seen FROM crawls ORDER BY id").fetchall() == [("failed", 0), ("ok", 12)]
    conn.close()
