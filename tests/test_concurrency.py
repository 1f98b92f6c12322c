"""Overlapping runs on one archive (cron overlaps, a scheduler plus a manual run).

Three real `tidings run` processes start at once on the same archive and the
same sources: every new item is archived once, reported new by exactly one of
them and alerted once (a real webhook receiver), and none dies of "database
is locked".
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter

from tests.alert_receivers import Receiver
from tests.helpers import ROOT, Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items

NAMES = ("one", "two", "three", "four")


def start_run(config, db) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db), "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_three_runs_at_once_archive_report_and_alert_each_new_item_once(tmp_path, site):
    import json

    receiver = Receiver().start()
    items = {name: seed_items() for name in NAMES}
    for name in NAMES:
        site.pages[f"/{name}"] = Page(Listing(items[name]).render(), delay=0.05)
    # lock_wait: on a loaded machine a run may wait long for another's source lock; never skip here.
    config = write_config(tmp_path / "t.toml", [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in NAMES],
                          crawl={"lock_wait": 120}, extra=f'[[notify]]\ntype = "webhook"\nurl = "{receiver.url}"\non = ["new"]\n')
    db = tmp_path / "archive.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0

    added: set[tuple[str, str]] = set()
    reported: Counter = Counter()
    for round_ in range(3):
        for i, name in enumerate(NAMES):
            new = extra_item(10 * round_ + i + 1)
            items[name] = [new, *items[name]]
            added.add((name, new.headline))
            site.pages[f"/{name}"] = Page(Listing(items[name]).render(), delay=0.05)
        procs = [start_run(config, db) for _ in range(3)]
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr[-2000:]
            assert "locked" not in stderr and "Traceback" not in stderr
            for source in json.loads(stdout)["sources"]:
                assert source["status"] == "ok", source
                assert source["updated"] == []
                reported.update((source["name"], n["headline"]) for n in source["new"])

    receiver.stop()
    assert set(reported) == added
    assert [key for key, times in reported.items() if times != 1] == []
    alerted = Counter((hit.json["source"], item["headline"]) for hit in receiver.hits for item in hit.json["items"])
    assert alerted == Counter(added)  # each new item in exactly one alert
    assert len({hit.json["id"] for hit in receiver.hits}) == len(receiver.hits)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT source_id || ' ' || key) FROM items").fetchone() == (
            len(NAMES) * 10 + len(added),
        ) * 2
        # Each round's three runs each recorded every source: no crawl was lost either.
        assert conn.execute("SELECT count(*) FROM crawls").fetchone()[0] == len(NAMES) * (1 + 3 * 3)


def test_a_run_waits_for_another_writer_instead_of_failing(tmp_path, site):
    """A long write elsewhere (a backup, an export) delays a run; it does not break it."""
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "archive.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    site.pages["/news"] = Page(Listing([extra_item(1), *seed_items()]).render())

    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock
    released = threading.Event()

    def release_later() -> None:
        time.sleep(3)
        holder.execute("COMMIT")
        released.set()

    threading.Thread(target=release_later, daemon=True).start()
    result = tidings("run", "--config", str(config), "--db", str(db), "--json")
    assert released.is_set()  # the run could only finish after the lock was released
    assert result.code == 0, result.stderr
    assert [n["headline"] for n in result.json["sources"][0]["new"]] == [extra_item(1).headline]
    holder.close()
