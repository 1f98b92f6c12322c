"""Archive faults: a full disk, a read-only or unwritable place, a file that is
not a Tidings archive.  Each is one clear line, exit code 2, and what was
already stored is exactly as it was.

The full disk is real: a 4 MB tmpfs filled to the last byte (when the tests
may mount one, as root can), else a file-size limit (RLIMIT_FSIZE) on the
`tidings` process, which makes the same write calls fail.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, Page, Result, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items

MANY_NEW = [extra_item(n) for n in range(1, 300)]  # enough to outgrow the WAL file


def tidings(*args: str, preexec=None) -> Result:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "monitor", *args], env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=preexec)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def dump(db: Path) -> list:
    """Every row of every table, in a comparable form."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [(t, sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"')))) for t in tables]


def integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def assert_one_line_error(result: Result, *words: str) -> None:
    assert result.code == 2, (result.code, result.stderr)
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("tidings: error: "), result.stderr
    for word in words:
        assert word in line
    assert "Traceback" not in result.stderr


def try_mount(path: Path, options: str) -> bool:
    path.mkdir(exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True).returncode == 0


class Disk:
    """A place for the archive whose free space a test can use up."""

    def __init__(self, path: Path, mounted: bool):
        self.path, self.mounted, self.limit = path, mounted, None

    def fill(self) -> None:
        if self.mounted:
            with open(self.path / "filler", "wb") as fh:
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                except OSError:
                    pass
        else:  # no tmpfs: no file may grow beyond its current size
            self.limit = max(f.stat().st_size for f in self.path.iterdir())

    def free(self) -> None:
        if self.mounted:
            (self.path / "filler").unlink()
        self.limit = None

    def preexec(self):
        limit = self.limit
        return (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))) if limit else None


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk"
    mounted = try_mount(path, "size=4m")
    yield Disk(path, mounted)
    if mounted:
        subprocess.run(["umount", "-l", str(path)])


@pytest.fixture
def source(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    return site, write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])


def test_a_full_disk_is_one_line_and_loses_nothing(disk, source):
    site, config = source
    db = disk.path / "archive.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    before = dump(db)
    site.pages["/news"] = Page(Listing(MANY_NEW + seed_items()).render())
    disk.fill()
    result = tidings("run", "--config", str(config), "--db", str(db), "--json", preexec=disk.preexec())
    assert_one_line_error(result, str(db), "is the disk full?")
    assert result.stdout == ""  # no report of items that were not recorded
    disk.free()
    assert dump(db) == before and integrity(db) == "ok"
    # With space again, the next run reports exactly the new items.
    again = tidings("run", "--config", str(config), "--db", str(db), "--json")
    assert again.code == 0, again.stderr
    assert [n["headline"] for n in again.json["sources"][0]["new"]] == [i.headline for i in MANY_NEW]


def test_a_read_only_archive_is_one_line_and_untouched(tmp_path, source):
    site, config = source
    place = tmp_path / "ro"
    if not try_mount(place, "size=4m"):
        pytest.skip("cannot mount a tmpfs here (needs root); a read-only file is writable by root anyway")
    try:
        db = place / "archive.db"
        assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
        before = dump(db)
        site.pages["/news"] = Page(Listing([extra_item(1), *seed_items()]).render())
        subprocess.run(["mount", "-o", "remount,ro", str(place)], check=True)
        result = tidings("run", "--config", str(config), "--db", str(db))
        assert_one_line_error(result, str(db))
        # "read-only" when SQLite could open it, else it names the folder's write permission.
        assert "read-only" in result.stderr or "writable" in result.stderr
        fresh = tidings("run", "--config", str(config), "--db", str(place / "new.db"))
        assert_one_line_error(fresh, str(place / "new.db"), "cannot open the database file")
        subprocess.run(["mount", "-o", "remount,rw", str(place)], check=True)
        assert dump(db) == before
    finally:
        subprocess.run(["umount", "-l", str(place)])


def test_an_archive_path_that_cannot_be_a_file_is_one_line(tmp_path, source):
    _, config = source
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "notes.txt" / "archive.db"))
    assert_one_line_error(result, "notes.txt/archive.db", "cannot")


def test_another_applications_database_is_refused_byte_for_byte_untouched(tmp_path, source):
    _, config = source
    db = tmp_path / "recipes.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
        conn.commit()
    original = db.read_bytes()
    result = tidings("run", "--config", str(config), "--db", str(db))
    assert_one_line_error(result, str(db), "not a Tidings archive", "recipes")
    assert db.read_bytes() == original
    assert not Path(str(db) + "-wal").exists()


def test_a_damaged_archive_is_one_line_and_not_made_worse(tmp_path, source):
    _, config = source
    db = tmp_path / "archive.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    data = bytearray(db.read_bytes())
    data[4096 : 4096 * 4] = b"\xab" * (4096 * 3)  # clobber pages 2-4
    db.write_bytes(bytes(data))
    result = tidings("run", "--config", str(config), "--db", str(db))
    assert_one_line_error(result, str(db), "damaged", ".recover")
    assert db.read_bytes() == bytes(data)


def test_a_write_lock_held_too_long_is_named_as_such(tmp_path):
    """SQLite's result code, not its wording, says what happened: here SQLITE_BUSY."""
    from monitor.archive import Archive
    from monitor.archive.connection import BUSY_TIMEOUT_SECONDS
    from monitor.errors import ArchiveError

    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        holder = sqlite3.connect(db)
        holder.execute("BEGIN IMMEDIATE")  # another process mid-crawl
        archive.conn.execute("PRAGMA busy_timeout = 0")  # give up at once rather than after the real wait
        try:
            with pytest.raises(ArchiveError) as raised:
                with archive.transaction():
                    pass
        finally:
            holder.rollback()
            holder.close()
    message = str(raised.value)
    assert message.startswith(f"{db}: database is locked")
    assert f"longer than {BUSY_TIMEOUT_SECONDS} s" in message
