"""A damaged page anywhere in the archive is one line, never a traceback, and never used.

Each table's root page is overwritten in turn (as a bad disk sector or a
partial copy would), in a real archive a real run wrote.  `tidings run`
stops before crawling with one line naming the file and saying it is
damaged, exit code 2, and leaves the file exactly as it was; readers either
answer (they never touched the page) or fail the same way.  The `meta`
table is read through its rows, not only its index, so damage there is
noticed too instead of being taken for "no migrations yet".
"""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from tests.helpers import Page, Site, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    site = Site()
    try:
        folder = tmp_path_factory.mktemp("damage")
        site.pages["/news"] = Page(Listing().render())
        config = write_config(folder / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
        db = folder / "archive.db"
        assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
        yield config, db.read_bytes()
    finally:
        site.close()


def damaged(tmp_path, original: bytes, table: str):
    db = tmp_path / f"{table}.db"
    db.write_bytes(original)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(original)
    data[(root - 1) * size : root * size] = b"\xab" * size
    db.write_bytes(bytes(data))
    return db, bytes(data)


def assert_damaged_line(result, db) -> None:
    line = result.stderr.strip()
    assert result.code == 2, (result.code, result.stderr)
    assert "\n" not in line and line.startswith(f"tidings: error: {db}: ") and "damaged" in line, result.stderr


@pytest.mark.parametrize("table", ["pages", "meta", "sources", "crawls", "items"])
def test_run_on_a_damaged_table_is_one_line_and_changes_nothing(archive, tmp_path, table):
    config, original = archive
    db, data = damaged(tmp_path, original, table)
    result = tidings("run", "--config", str(config), "--db", str(db))
    assert_damaged_line(result, db)
    assert db.read_bytes() == data


@pytest.mark.parametrize("table", ["pages", "sources", "crawls", "items", "item_versions"])
@pytest.mark.parametrize("command", [("status", "--json"), ("export",), ("feed",), ("search", "water")])
def test_readers_of_a_damaged_archive_answer_or_say_it_is_damaged(archive, tmp_path, table, command):
    config, original = archive
    db, data = damaged(tmp_path, original, table)
    result = tidings(*command, "--config", str(config), "--db", str(db))
    assert "Traceback" not in result.stderr, result.stderr
    if result.code != 0:
        assert_damaged_line(result, db)
    assert db.read_bytes() == data
