"""The disk fills up part-way through a run: what was committed is still reported.

Two of three sources commit their new items, then the disk is full when the
third is recorded.  The run exits 2 with one line on stderr, and its report
(text or `--json`) still lists the two sources' new items, which are archived
and alerted: a reader of the report must never miss them.

The full disk is a real tmpfs filled to the last byte; where a tmpfs cannot
be mounted (not root), the test is skipped: a file-size limit cannot fill
the disk at the one moment this needs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, Page, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items
from tests.test_archive_faults import try_mount

NAMES = ("alpha", "bravo", "charlie")


def _fill(folder: Path) -> None:
    """Use up every byte of the filesystem at `folder`."""
    with open(folder / "filler", "wb", buffering=0) as out:
        for size in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                pass


def _committed(db: Path, run_crawls: int) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM crawls").fetchone()[0] >= run_crawls
    except sqlite3.Error:
        return False


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk"
    if not try_mount(path, "size=8m"):
        pytest.skip("cannot mount a tmpfs here (needs root): the disk cannot be filled mid-run")
    yield path
    subprocess.run(["umount", "-l", str(path)])


@pytest.mark.parametrize("as_json", [True, False])
def test_a_run_that_fails_part_way_still_reports_what_it_committed(tmp_path, site, disk, as_json):
    for name in NAMES:
        site.pages[f"/{name}"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in NAMES])
    db = disk / "t.db"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db)]
    assert subprocess.run(command, env=env, cwd=ROOT).returncode == 0  # the baseline: 3 crawls

    new = {name: [extra_item(10 * i + n) for n in range(1, 6)] for i, name in enumerate(NAMES)}
    for name in ("alpha", "bravo"):
        site.pages[f"/{name}"] = Page(Listing([*new[name], *seed_items()]).render())

    def charlie(handler) -> None:
        # alpha and bravo are committed; then the disk fills before charlie can be.
        deadline = time.monotonic() + 60
        while not _committed(db, 5) and time.monotonic() < deadline:
            time.sleep(0.05)
        _fill(disk)
        body = Listing([*new["charlie"], *seed_items()]).render().encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.pages["/charlie"] = charlie
    result = subprocess.run(command + (["--json"] if as_json else []), env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("tidings: error:")]
    assert len(errors) == 1 and ("disk" in errors[0] or "cannot write" in errors[0]), result.stderr
    assert "Traceback" not in result.stderr
    (disk / "filler").unlink()
    with sqlite3.connect(db) as conn:
        archived = {h for (h,) in conn.execute("SELECT headline FROM items")}
    committed = [item.headline for name in ("alpha", "bravo") for item in new[name]]
    assert set(committed) <= archived
    if as_json:
        report = json.loads(result.stdout)
        by_name = {s["name"]: s for s in report["sources"]}
        for name in ("alpha", "bravo"):
            assert by_name[name]["status"] == "ok"
            assert [n["headline"] for n in by_name[name]["new"]] == [i.headline for i in new[name]]
        assert by_name["charlie"]["status"] == "failed" and by_name["charlie"]["new"] == []
    else:
        for headline in committed:
            assert headline in result.stdout
