"""`tidings status`: last run, next run, items, new in 24 h and deliveries, per source."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items


def configure(site, tmp_path, extra: str = ""):
    site.pages["/news"] = Page(Listing().render())
    site.pages["/press"] = Page(Listing().render())
    sources = [
        {"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE, "schedule": "30m"},
        {"name": "press", "url": site.url("/press"), **DRUPAL_SOURCE, "schedule": "0 7 * * 1-5"},
        {"name": "manual", "url": site.url("/news"), **DRUPAL_SOURCE},
    ]
    return write_config(tmp_path / "tidings.toml", sources, extra=extra), tmp_path / "t.db"


def by_name(result) -> dict:
    assert result.code == 0, result.stderr
    return {s["name"]: s for s in result.json["sources"]}


def test_status_after_runs(site, tmp_path):
    config, db = configure(site, tmp_path, extra='[defaults]\ntimezone = "Europe/Berlin"')
    assert tidings("run", "--config", str(config), "--db", str(db), "--source", "news").code == 0
    site.pages["/news"] = Page(Listing(items=[extra_item(1), extra_item(2), *seed_items()]).render())
    assert tidings("run", "--config", str(config), "--db", str(db), "--source", "news").code == 0
    site.pages["/news"] = Page("down", status=503)
    assert tidings("run", "--config", str(config), "--db", str(db), "--source", "news").code == 1

    result = tidings("status", "--config", str(config), "--db", str(db), "--json")
    sources = by_name(result)
    assert list(sources) == ["news", "press", "manual"]
    assert result.json["timezone"] == "Europe/Berlin"

    news = sources["news"]
    assert news["last_status"] == "failed"
    assert news["last_error"] == f"HTTP 503 from {site.url('/news')}"
    assert news["items"] == 12
    assert news["new_24h"] == 2  # the baseline's ten are archived, not new
    assert (news["pending_deliveries"], news["dead_deliveries"]) == (0, 0)
    last = datetime.fromisoformat(news["last_run"])
    assert datetime.fromisoformat(news["next_run"]) == last + timedelta(minutes=30)
    assert news["due_now"] is False
    assert news["schedule"] == "30m"

    press = sources["press"]  # never crawled: due now
    assert (press["last_run"], press["last_status"], press["items"]) == (None, None, 0)
    assert press["due_now"] is True

    manual = sources["manual"]  # no schedule: only `tidings run` crawls it
    assert (manual["schedule"], manual["next_run"], manual["due_now"]) == (None, None, False)

    text = tidings("status", "--config", str(config), "--db", str(db))
    assert text.code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["source", "last", "run", "status", "next", "run", "lag", "items", "new", "24h",
                                  "pending", "dead"]
    assert lines[1].split()[0] == "news" and "failed" in lines[1] and lines[1].split()[-4:] == ["12", "2", "0", "0"]
    assert "due now" in lines[2] and "never" in lines[2]
    assert f"news: HTTP 503 from {site.url('/news')}" in text.stdout


def test_cron_next_run_in_the_configured_time_zone(site, tmp_path):
    config, db = configure(site, tmp_path, extra='[defaults]\ntimezone = "America/New_York"')
    assert tidings("run", "--config", str(config), "--db", str(db), "--source", "press").code == 0
    press = by_name(tidings("status", "--config", str(config), "--db", str(db), "--json"))["press"]
    local = datetime.fromisoformat(press["next_run"]).astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (7, 0)
    assert local.weekday() < 5  # Monday to Friday
    assert local - datetime.now(timezone.utc) <= timedelta(days=3, hours=1)


def test_status_counts_pending_and_dead_deliveries(site, tmp_path):
    config, db = configure(site, tmp_path)
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    conn = sqlite3.connect(db)
    with conn:  # outbox rows in the states the alerts feature leaves them in
        ids = dict(conn.execute("SELECT name, id FROM sources"))
        rows = [("news", "pending"), ("news", "pending"), ("news", "dead"), ("news", "sent"), ("press", "dead")]
        conn.executemany(
            "INSERT INTO deliveries (id, notifier, source_id, run_id, kind, payload, state, attempts, created,"
            " next_attempt) VALUES (?, 'hook', ?, 'r', 'items', '{}', ?, 1, '2026-11-29T00:00:00.000+00:00',"
            " '2026-11-29T00:00:00.000+00:00')",
            [(f"d{i}", ids[name], state) for i, (name, state) in enumerate(rows)],
        )
    conn.close()
    sources = by_name(tidings("status", "--config", str(config), "--db", str(db), "--json"))
    assert (sources["news"]["pending_deliveries"], sources["news"]["dead_deliveries"]) == (2, 1)
    assert (sources["press"]["pending_deliveries"], sources["press"]["dead_deliveries"]) == (0, 1)
    assert (sources["manual"]["pending_deliveries"], sources["manual"]["dead_deliveries"]) == (0, 0)


def test_status_before_the_first_run_lists_every_source_as_never_run(site, tmp_path):
    config, db = configure(site, tmp_path)
    result = tidings("status", "--config", str(config), "--db", str(db), "--json")
    sources = by_name(result)
    assert list(sources) == ["news", "press", "manual"]
    assert all(s["last_run"] is None and s["items"] == 0 and s["pending_deliveries"] == 0 for s in sources.values())
    assert sources["news"]["due_now"] is True and sources["manual"]["next_run"] is None
    assert result.json["deliveries"] == []
    assert result.stderr.strip() == f"tidings: no archive at {db} yet: no source has run"
    assert not db.exists()  # status never creates the archive
