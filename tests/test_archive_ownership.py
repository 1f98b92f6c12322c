"""Tidings writes only to its own archives.

A Tidings archive is marked as such in the SQLite header (`PRAGMA
application_id`); archives made before the mark are recognised by their
`meta` rows and Tidings' tables, and marked by a migration.  Any other
non-empty database given as `--db` is refused with one line and exit code 2,
by every command, byte for byte untouched: not even its journal mode changes.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing

TIDINGS_ID = int.from_bytes(b"TDNG", "big")


def application_id(db: Path) -> int:
    return int.from_bytes(db.read_bytes()[68:72], "big")


@pytest.fixture
def config(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    return write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])


def other_apps_database(path: Path, *, app_id: int = 0, tables: bool = True) -> bytes:
    """Another program's database that happens to have a `meta` table (as many do)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        if app_id:
            conn.execute(f"PRAGMA application_id = {app_id}")
        if tables:
            conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
            conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
            conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
        conn.commit()
    return path.read_bytes()


@pytest.mark.parametrize("command", [
    ("run",), ("status",), ("export",), ("feed",), ("search", "water"),
])
def test_another_applications_database_with_a_meta_table_is_refused_untouched(tmp_path, config, command):
    db = tmp_path / "notes.db"
    original = other_apps_database(db)
    result = tidings(*command, "--config", str(config), "--db", str(db))
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("tidings: error: ") and "not a Tidings archive" in line, result.stderr
    assert str(db) in line
    assert db.read_bytes() == original
    assert not Path(f"{db}-wal").exists()


def test_a_database_marked_by_another_application_is_refused_even_when_empty(tmp_path, config):
    db = tmp_path / "other.db"
    original = other_apps_database(db, app_id=0x0F0F0F0F, tables=False)
    result = tidings("run", "--config", str(config), "--db", str(db))
    assert result.code == 2 and "not a Tidings archive" in result.stderr, result.stderr
    assert db.read_bytes() == original


def test_a_new_archive_is_marked_as_tidings_own(tmp_path, config):
    db = tmp_path / "archive.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    assert application_id(db) == TIDINGS_ID


def test_an_archive_from_before_the_mark_is_recognised_and_marked(tmp_path, config):
    db = tmp_path / "archive.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    with contextlib.closing(sqlite3.connect(db)) as conn:  # as Tidings left archives before the mark
        conn.execute("PRAGMA application_id = 0")
        conn.execute("DELETE FROM meta WHERE key LIKE 'migration:%' AND value LIKE 'PRAGMA application_id%'")
        newest = conn.execute("SELECT max(CAST(substr(key, 11) AS INTEGER)) FROM meta WHERE key LIKE 'migration:%'").fetchone()[0]
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(newest),))
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert application_id(db) == 0
    status = tidings("status", "--config", str(config), "--db", str(db), "--json")  # a reader: no migration
    assert status.code == 0, status.stderr
    assert status.json["sources"][0]["items"] == 10
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    assert application_id(db) == TIDINGS_ID
