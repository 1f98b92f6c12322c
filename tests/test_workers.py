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
