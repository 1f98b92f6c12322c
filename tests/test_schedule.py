"""`tidings schedule`: schedule parsing, and the daemon as a real process
against a real local web site (ticks, hangs, signals, cron running alongside)."""

from __future__ import annotations

import signal
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from monitor.config import parse_config
from monitor.errors import ConfigError
from monitor.schedule import parse_schedule
from tests.helpers import Page, tidings, write_config
from tests.daemons import crawl_children, crawls, daemons, query, source, wait_for  # noqa: F401 - daemons: a fixture
from tests.pages import Listing, extra_item, seed_items

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


# --- parsing ---------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [("45s", 45), ("30m", 1800), ("6h", 21600), ("1d", 86400), (" 2S ", 2)])
def test_intervals(text, seconds):
    schedule = parse_schedule(text)
    assert schedule.every == timedelta(seconds=seconds)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert schedule.next_after(start, UTC) == start + timedelta(seconds=seconds)


SATURDAY_NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("text, tz, after, expected", [
    # cron's day numbers: 1-5 is Monday to Friday (APScheduler alone would say Tuesday to Saturday)
    ("0 7 * * 1-5", UTC, SATURDAY_NOON, datetime(2026, 11, 30, 7, 0, tzinfo=UTC)),
    ("0 7 * * 1-5", UTC, datetime(2026, 11, 30, 7, 0, tzinfo=UTC), datetime(2026, 12, 1, 7, 0, tzinfo=UTC)),
    ("30 9 * * 0", UTC, SATURDAY_NOON, datetime(2026, 11, 29, 9, 30, tzinfo=UTC)),  # 0 = Sunday
    ("30 9 * * 7", UTC, SATURDAY_NOON, datetime(2026, 11, 29, 9, 30, tzinfo=UTC)),  # 7 = Sunday too
    ("0 8 * * mon", UTC, SATURDAY_NOON, datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
    ("*/15 * * * *", UTC, SATURDAY_NOON, datetime(2026, 11, 28, 12, 15, tzinfo=UTC)),
    # 07:00 in Berlin is 06:00 UTC in winter and 05:00 UTC in summer
    ("0 7 * * 1-5", BERLIN, SATURDAY_NOON, datetime(2026, 11, 30, 6, 0, tzinfo=UTC)),
    ("0 7 * * *", BERLIN, datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 2, 5, 0, tzinfo=UTC)),
    # day-of-month and day-of-week both restricted: either matches (cron's rule)
    ("0 7 1 * 1", UTC, SATURDAY_NOON, datetime(2026, 11, 30, 7, 0, tzinfo=UTC)),
    ("0 7 1 * 1", UTC, datetime(2026, 11, 30, 8, 0, tzinfo=UTC), datetime(2026, 12, 1, 7, 0, tzinfo=UTC)),
])
def test_cron(text, tz, after, expected):
    assert parse_schedule(text).next_after(after, tz) == expected


@pytest.mark.parametrize("text, says", [
    ("5 minutes", "'5 minutes' is not an interval"),
    ("0s", "at least 1s"),
    ("1.5h", "'1.5h' is not an interval"),
    ("", "'' is not an interval"),
    ("* * * *", "'* * * *' is not an interval"),
    ("61 * * * *", "minute field '61'"),
    ("0 24 * * *", "hour field '24'"),
    ("0 7 32 * *", "day-of-month field '32'"),
    ("0 7 * 13 *", "month field '13'"),
    ("0 7 * * 8", "day-of-week field '8'"),
    ("0 7 * * 5-1", "day-of-week field '5-1'"),
    ("0 0 31 2 *", "never fires"),
])
def test_bad_schedules(text, says):
    with pytest.raises(ValueError) as error:
        parse_schedule(text)
    assert says in str(error.value)


def test_missed_runs_make_one_run_now():
    schedule = parse_schedule("30m")
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert schedule.next_run(None, now, UTC) == (now, True)  # never ran
    assert schedule.next_run(now - timedelta(hours=5), now, UTC) == (now, True)  # ten runs missed: one, now
    assert schedule.next_run(now - timedelta(minutes=10), now, UTC) == (now + timedelta(minutes=20), False)


def test_schedule_config_keys():
    config = parse_config({
        "defaults": {"schedule": "6h", "timezone": "Europe/Berlin", "run_timeout": 120},
        "source": [{"name": "a", "url": "https://example.org/"},
                   {"name": "b", "url": "https://example.org/b", "schedule": "0 7 * * 1-5"}],
    }, "t.toml")
    assert [s.schedule for s in config.sources] == ["6h", "0 7 * * 1-5"]
    assert config.sources[0].run_timeout == 120
    assert config.timezone == "Europe/Berlin"
    assert parse_config({"source": []}, "t.toml").timezone == "UTC"


@pytest.mark.parametrize("data, message", [
    ({"source": [{"name": "news", "url": "https://e.org/", "schedule": "every hour"}]},
     "t.toml: source 'news': key 'schedule': 'every hour' is not an interval"),
    ({"source": [{"name": "news", "url": "https://e.org/", "schedule": "0 7 * * 9"}]},
     "t.toml: source 'news': key 'schedule': '0 7 * * 9': day-of-week field '9'"),
    ({"defaults": {"schedule": "5x"}, "source": []}, "t.toml: [defaults]: key 'schedule': '5x' is not an interval"),
    ({"defaults": {"timezone": "Mars/Olympus"}, "source": []},
     "t.toml: [defaults]: key 'timezone': 'Mars/Olympus' is not a known time zone"),
    ({"source": [{"name": "news", "url": "https://e.org/", "timezone": "UTC"}]},
     "t.toml: source 'news': key 'timezone' belongs in [defaults]"),
    ({"source": [{"name": "news", "url": "https://e.org/", "run_timeout": 0}]},
     "t.toml: source 'news': key 'run_timeout': must be more than 0"),
])
def test_schedule_config_errors(data, message):
    with pytest.raises(ConfigError) as error:
        parse_config(data, "t.toml")
    assert str(error.value).startswith(message)


# --- the daemon, as a real process ----------------------------------------------------

def test_new_item_between_ticks_is_found_exactly_once(site, tmp_path, daemons):
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml", [source("news", site.url("/news"))],
                          extra='feeds_dir = "feeds"\n[defaults]\nschedule = "2s"')
    db = tmp_path / "t.db"
    daemon = daemons(config, db)
    wait_for(lambda: crawls(db, "news"), what="the first crawl", log=daemon)
    assert crawls(db, "news")[0][0] == "baseline"
    # Feeds land next to the real config (children read a snapshot elsewhere).
    wait_for(lambda: (tmp_path / "feeds" / "all.atom").exists(), what="the feeds", log=daemon)

    extra = extra_item(1)
    site.pages["/news"] = Page(Listing(items=[extra, *seed_items()]).render())
    wait_for(lambda: any(c[1] for c in crawls(db, "news")), what="the new item", log=daemon)
    found = len(crawls(db, "news"))
    wait_for(lambda: len(crawls(db, "news")) >= found + 2, what="two more ticks", log=daemon)
    daemon.stop()

    history = crawls(db, "news")
    assert [c[0] for c in history] == ["baseline"] + ["ok"] * (len(history) - 1)
    assert [c[1] for c in history if c[1]] == [1]  # reported new by exactly one crawl
    assert query(db, "SELECT count(*) FROM items WHERE headline = ?", extra.headline) == [(1,)]
    assert query(db, "SELECT count(*) FROM items") == [(11,)]
    lines = [line for line in daemon.text().splitlines() if "news ok: 11 seen" in line]
    assert sum(", 1 new," in line for line in lines) == 1
    assert "news baseline: 10 seen, 0 new" in daemon.text()


def test_hanging_source_is_killed_and_others_keep_running(site, tmp_path, daemons):
    site.pages["/news"] = Page(Listing().render())
    site.pages["/hang"] = Page(Listing().render(), delay=60)
    config = write_config(tmp_path / "tidings.toml", [
        source("news", site.url("/news")),
        source("hang", site.url("/hang"), timeout=120, run_timeout=3),
    ], extra='[defaults]\nschedule = "2s"')
    db = tmp_path / "t.db"
    daemon = daemons(config, db)
    failed = wait_for(lambda: crawls(db, "hang"), what="the hanging crawl to be stopped", log=daemon)
    status, _, error, stopped_at = failed[0]
    assert status == "failed"
    assert error == "the crawl did not finish within 3 s (run_timeout) and was stopped"
    wait_for(lambda: sum(c[3] > stopped_at for c in crawls(db, "news")) >= 2, what="more crawls of the others",
             log=daemon)
    wait_for(lambda: len(crawl_children(db)) >= 1, what="a running crawl to interrupt", log=daemon)
    daemon.stop()
    assert crawl_children(db) == []  # no crawl outlives the daemon
    assert "hang failed: the crawl did not finish within 3 s" in daemon.text()
    assert {c[0] for c in crawls(db, "news")} <= {"baseline", "ok"}
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def test_crawls_die_with_a_killed_daemon(site, tmp_path, daemons):
    site.pages["/hang"] = Page(Listing().render(), delay=60)
    config = write_config(tmp_path / "tidings.toml", [source("hang", site.url("/hang"), timeout=120)],
                          extra='[defaults]\nschedule = "1m"')
    db = tmp_path / "t.db"
    daemon = daemons(config, db)
    wait_for(lambda: "/hang" in site.requests, what="the crawl to start", log=daemon)
    assert crawl_children(db)
    daemon.proc.kill()  # SIGKILL: no chance to clean up
    daemon.proc.wait()
    wait_for(lambda: crawl_children(db) == [], timeout=10, what="the orphaned crawl to die")


def test_concurrent_run_skips_a_source_the_daemon_is_crawling(site, tmp_path, daemons):
    site.pages["/slow"] = Page(Listing().render())
    sources = [source("slow", site.url("/slow"))]
    config = write_config(tmp_path / "tidings.toml", sources, crawl={"lock_wait": 0.5},
                          extra='[defaults]\nschedule = "2s"')
    patient = write_config(tmp_path / "patient.toml", sources, crawl={"lock_wait": 30})
    db = tmp_path / "t.db"
    daemon = daemons(config, db)
    wait_for(lambda: crawls(db, "slow"), what="the baseline", log=daemon)
    extra = extra_item(2)
    site.pages["/slow"] = Page(Listing(items=[extra, *seed_items()]).render(), delay=5)

    # A cron run while the daemon's child is fetching the page: skipped, with a clear line.
    asked = site.requests.count("/slow")
    wait_for(lambda: site.requests.count("/slow") > asked and crawl_children(db), what="a daemon crawl", log=daemon)
    hasty = tidings("run", "--config", str(config), "--db", str(db), "--json")
    assert hasty.code == 1, hasty.stderr
    assert hasty.json["sources"][0]["status"] == "skipped"
    assert "tidings: slow: another process is crawling this source (waited 0.5 s); skipped" in hasty.stderr

    # A run that waits long enough crawls after the daemon: the item is never new twice.
    patient_run = tidings("run", "--config", str(patient), "--db", str(db), "--json")
    wait_for(lambda: any(c[1] for c in crawls(db, "slow")), what="the new item", log=daemon)
    daemon.stop()
    assert patient_run.code == 0, patient_run.stderr
    reported_by_run = [n["headline"] for n in patient_run.json["sources"][0]["new"]]
    assert sum(c[1] for c in crawls(db, "slow")) == 1
    assert reported_by_run in ([], [extra.headline])
    assert query(db, "SELECT count(*) FROM items WHERE headline = ?", extra.headline) == [(1,)]


def test_sighup_adds_and_removes_sources(site, tmp_path, daemons):
    site.pages["/a"] = Page(Listing().render())
    site.pages["/b"] = Page(Listing().render())
    path = tmp_path / "tidings.toml"
    write_config(path, [source("a", site.url("/a"))], extra='[defaults]\nschedule = "2s"')
    db = tmp_path / "t.db"
    daemon = daemons(path, db)
    wait_for(lambda: crawls(db, "a"), what="a's first crawl", log=daemon)

    write_config(path, [source("b", site.url("/b"))], extra='[defaults]\nschedule = "2s"')
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(crawls(db, "b")) >= 2, what="the added source", log=daemon)
    settled = len(crawls(db, "a"))
    wait_for(lambda: len(crawls(db, "b")) >= 4, what="more ticks", log=daemon)
    assert len(crawls(db, "a")) == settled  # removed: no longer crawled

    write_config(path, [source("b", site.url("/b"))], extra='[defaults]\nschedule = "not a schedule"')
    daemon.proc.send_signal(signal.SIGHUP)
    before = len(crawls(db, "b"))
    wait_for(lambda: len(crawls(db, "b")) >= before + 1, what="ticks with the old schedule", log=daemon)
    daemon.stop()
    assert "reload failed, keeping the previous configuration" in daemon.text()
    assert "key 'schedule': 'not a schedule'" in daemon.text()


def test_schedule_needs_a_valid_config(tmp_path):
    path = write_config(tmp_path / "tidings.toml", [source("a", "http://127.0.0.1:9/", schedule="every day")])
    result = tidings("schedule", "--config", str(path), "--db", str(tmp_path / "t.db"))
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        f"tidings: error: {path}: source 'a': key 'schedule': 'every day' is not an interval like 45s, 30m, 6h, 1d"
        " or a five-field cron expression like '0 7 * * 1-5'"
    ]


def test_start_runs_what_was_missed_once_and_waits_for_the_rest(site, tmp_path, daemons):
    site.pages["/old"] = Page(Listing().render())
    site.pages["/recent"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml", [source("old", site.url("/old")),
                                                       source("recent", site.url("/recent"))],
                          extra='[defaults]\nschedule = "1d"')
    db = tmp_path / "t.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    conn = sqlite3.connect(db)
    with conn:  # the daemon was down for three days: three daily runs of "old" were missed
        three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="milliseconds")
        conn.execute("UPDATE crawls SET started = ?, finished = ? WHERE source_id ="
                     " (SELECT id FROM sources WHERE name = 'old')", (three_days_ago, three_days_ago))
    conn.close()
    daemon = daemons(config, db)
    wait_for(lambda: len(crawls(db, "old")) == 2, what="the missed run", log=daemon)
    assert "recent: every 1d; next run" in daemon.text()
    assert "old: every 1d; next run" in daemon.text()
    time.sleep(2)  # no second catch-up run follows
    daemon.stop()
    assert len(crawls(db, "old")) == 2
    assert len(crawls(db, "recent")) == 1
    recent_line = next(line for line in daemon.text().splitlines() if "recent: every 1d" in line)
    assert "(due now)" not in recent_line


@pytest.mark.parametrize("text, words", [
    ("30m", "every 30m"),
    ("0 * * * *", "every hour at :00"),
    ("15 * * * *", "every hour at :15"),
    ("30 7 * * *", "every day at 07:30"),
    ("0 9 * * 1", "every Monday at 09:00"),
    ("0 9 * * 1-5", "cron '0 9 * * 1-5'"),
    ("*/15 * * * *", "cron '*/15 * * * *'"),
    ("0 0 1 * *", "cron '0 0 1 * *'"),
])
def test_schedules_read_as_words_or_as_written(text, words):
    assert parse_schedule(text).description == words


def test_daemon_log_says_when_in_words_not_every_cron(site, tmp_path, daemons):
    """Rough edge: the daemon logged 'every 0 * * * *'."""
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml", [source("hourly", site.url("/news"), schedule="0 * * * *"),
                                                       source("weekdays", site.url("/news"), schedule="0 7 * * 1-5")])
    db = tmp_path / "t.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0  # nothing due at start
    daemon = daemons(config, db)
    wait_for(lambda: "weekdays: cron" in daemon.text(), what="the schedule lines", log=daemon)
    assert "hourly: every hour at :00; next run " in daemon.text()
    assert "weekdays: cron '0 7 * * 1-5'; next run " in daemon.text()
    assert "every 0 " not in daemon.text()
    daemon.stop()
