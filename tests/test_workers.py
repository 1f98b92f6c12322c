"""Many sources over worker processes: the same report and archive as one process."""

from __future__ import annotations

import sqlite3

from conftest import Page, tidings, write_config
from pages import DRUPAL_SOURCE, Listing, extra_item, seed_items


def test_two_workers_record_every_source_once_and_report_in_config_order(tmp_path, site):
    names = [f"agency-{i}" for i in range(5)]
    for name in names:
        site.pages[f"/{name}"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml",
                          [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in names], {"processes": 2})
    db = tmp_path / "archive.db"

    def run():
        result = tidings("run", "--config", str(config), "--db", str(db), "--json")
        assert result.code == 0, result.stderr
        return result.json["sources"]

    first = run()
    assert [(s["name"], s["status"], s["items_seen"]) for s in first] == [(n, "baseline", 10) for n in names]
    site.pages["/agency-3"] = Page(Listing([extra_item(1), *seed_items()]).render())
    second = run()
    assert [s["name"] for s in second] == names
    assert {s["name"]: [n["headline"] for n in s["new"]] for s in second} == {
        n: ([extra_item(1).headline] if n == "agency-3" else []) for n in names
    }
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM crawls").fetchone()[0] == 10
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 51
        # Every item's first version was archived with it.
        assert conn.execute("SELECT count(*) FROM item_versions").fetchone()[0] == 51


def test_processes_must_be_a_whole_number(tmp_path):
    config = write_config(tmp_path / "tidings.toml", [{"name": "a", "url": "http://127.0.0.1:9/"}], {"processes": -1})
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.code == 2
    assert "[crawl]: key 'processes': must be a whole number of at least 0" in result.stderr


def test_worker_processes_die_with_a_killed_run(tmp_path, site):
    """A `tidings run` killed mid-crawl (cron timeout, OOM killer) leaves no crawler behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    for i in range(2):
        site.pages[f"/slow-{i}"] = Page(Listing().render(), delay=30)
    config = write_config(tmp_path / "tidings.toml",
                          [{"name": f"slow-{i}", "url": site.url(f"/slow-{i}"), **DRUPAL_SOURCE} for i in range(2)],
                          {"processes": 2})
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    run = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db",
                            str(tmp_path / "a.db")], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def children() -> list[int]:
        try:
            with open(f"/proc/{run.pid}/task/{run.pid}/children") as fh:
                return [int(pid) for pid in fh.read().split()]
        except OSError:
            return []

    deadline = time.monotonic() + 60
    while (len(children()) < 2 or len(site.requests) < 2) and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = children()
    assert len(workers) == 2, "the run did not start two worker processes"
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    deadline = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in workers if _running(pid)]
        time.sleep(0.1)
    assert alive == []


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker is reaped by init once orphaned)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
