"""An archive on a read-only file system can still be read.

A WAL archive needs its `-shm` file to be read normally, and SQLite cannot
create one on a read-only file system (a CD, a read-only bind mount, a
snapshot).  `status`, `export`, `feed` and `search` then open it as
immutable and work; writers (`run`) still fail with one line.

The read-only place is a real tmpfs remounted read-only (root can write to
a chmod'ed folder, so only a read-only mount shows the fault).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, seed_items


@pytest.fixture
def read_only_archive(tmp_path, site):
    place = tmp_path / "ro"
    place.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(place)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here to remount read-only (needs root)")
    try:
        site.pages["/news"] = Page(Listing().render())
        config = write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
        db = place / "archive.db"
        assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(place)], check=True)
        yield config, db
    finally:
        subprocess.run(["umount", "-l", str(place)])


def test_readers_work_on_a_read_only_file_system(read_only_archive, tmp_path):
    config, db = read_only_archive
    files = sorted(p.name for p in db.parent.iterdir())
    headline = seed_items()[0].headline
    status = tidings("status", "--config", str(config), "--db", str(db), "--json")
    assert status.code == 0, status.stderr
    assert status.json["sources"][0]["items"] == 10
    export = tidings("export", "--db", str(db), "--format", "json")
    assert export.code == 0, export.stderr
    assert headline in {row["headline"] for row in json.loads(export.stdout)}
    feed = tidings("feed", "--db", str(db))
    assert feed.code == 0 and headline in feed.stdout, feed.stderr
    word = headline.split()[0]
    search = tidings("search", word, "--db", str(db), "--json")
    assert search.code == 0 and headline in {r["headline"] for r in json.loads(search.stdout)}, search.stderr
    assert sorted(p.name for p in db.parent.iterdir()) == files  # nothing created there
    # A writer is still told, in one line, that it cannot write there.
    run = tidings("run", "--config", str(config), "--db", str(db))
    assert run.code == 2 and run.stderr.count("\n") == 1 and str(db) in run.stderr, run.stderr


def test_a_path_with_uri_characters_is_read(tmp_path, site):
    """The read-only open goes through a file: URI; '?' and '#' in a path are not its query."""
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
    folder = tmp_path / "odd?name#1 %41"
    folder.mkdir()
    db = folder / "archive.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    export = tidings("export", "--db", str(db), "--format", "json")
    assert export.code == 0, export.stderr
    assert len(json.loads(export.stdout)) == 10
    assert not Path(str(tmp_path / "odd")).exists()
