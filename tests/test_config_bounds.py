"""Config values that pass validation must not break later: every number is bounded
(finite, positive, at most a sane maximum) and a source URL never carries credentials.

Each bad value is one line naming file, source (or table) and key, exit code
2, from `run`, `status` and the daemon's start alike; a SIGHUP reload with
one keeps the daemon running on its previous configuration.
"""

from __future__ import annotations

import signal

import pytest

from tests.helpers import Page, tidings, write_config
from tests.pages import Listing
from tests.test_schedule import crawls, daemons, source, wait_for  # noqa: F401 - daemons is a fixture

GOOD = '[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/news"\nitem = "li"\nheadline = "h2"\n'
HOOK = '\n[[notify]]\ntype = "webhook"\nname = "hook"\nurl = "http://127.0.0.1:9/in"\n'


@pytest.mark.parametrize(
    "text, expected",
    [
        (GOOD + 'schedule = "9999999999d"\n', "source 'a': key 'schedule': '9999999999d': an interval must be at most 365d"),
        (GOOD + 'schedule = "3000000d"\n', "source 'a': key 'schedule': '3000000d': an interval must be at most 365d"),
        ('[defaults]\nschedule = "3000000d"\n' + GOOD, "key 'schedule'"),
        (GOOD + "timeout = nan\n", "source 'a': key 'timeout': must be a finite number, not nan"),
        (GOOD + "timeout = inf\n", "source 'a': key 'timeout': must be a finite number, not inf"),
        (GOOD + "timeout = 1e12\n", "source 'a': key 'timeout': must be at most 31536000 seconds (365 days)"),
        (GOOD + "run_timeout = -inf\n", "source 'a': key 'run_timeout'"),
        ("[crawl]\ndelay = nan\n" + GOOD, "[crawl]: key 'delay': must be a finite number, not nan"),
        ("[crawl]\nlock_wait = inf\n" + GOOD, "[crawl]: key 'lock_wait': must be a finite number, not inf"),
        ("[crawl]\nconcurrency = 9223372036854775807\n" + GOOD, "[crawl]: key 'concurrency': must be at most"),
        ("[crawl]\nprocesses = 100000000\n" + GOOD, "[crawl]: key 'processes': must be at most"),
        (GOOD + "max_pages = 4000000000\n", "source 'a': key 'max_pages': must be at most"),
        ("[alerts]\ngive_up_after = inf\n" + GOOD, "[alerts]: key 'give_up_after': must be a finite number"),
        ('[alerts]\ngive_up_after = "3000000d"\n' + GOOD, "[alerts]: key 'give_up_after': must be at most"),
        ("[alerts]\nbroken_after = 9223372036854775807\n" + GOOD, "[alerts]: key 'broken_after': must be at most"),
        (GOOD + HOOK + "timeout = nan\n", "notify #1 'hook' (type webhook): key 'timeout': must be a finite number, not nan"),
        (GOOD + HOOK + "timeout = inf\n", "notify #1 'hook' (type webhook): key 'timeout': must be a finite number, not inf"),
        (GOOD.replace("http://127.0.0.1:9/news", "http://user:s3cret@127.0.0.1:9/news"),
         "source 'a': key 'url': must not carry a user name or password"),
        (GOOD.replace("http://127.0.0.1:9/news", "http://user@127.0.0.1:9/news"),
         "source 'a': key 'url': must not carry a user name or password"),
    ],
)
def test_a_number_or_url_that_would_break_later_is_refused_in_one_line(tmp_path, text, expected):
    path = tmp_path / "tidings.toml"
    path.write_text(text, encoding="utf-8")
    # Schedules and timeouts are read by status and the daemon too: each command must refuse them.
    commands = (["run"], ["status"], ["schedule"]) if ("schedule" in text or "timeout" in text) else (["run"],)
    for command in commands:
        result = tidings(*command, "--config", str(path), "--db", str(tmp_path / "a.db"), timeout=60)
        assert result.code == 2, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"tidings: error: {path}: "), (command, result.stderr)
        assert expected in lines[0], (command, lines[0])
        assert "s3cret" not in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_the_largest_values_allowed_still_work(tmp_path):
    path = tmp_path / "tidings.toml"
    path.write_text(GOOD + 'schedule = "365d"\ntimeout = 31536000\n', encoding="utf-8")
    result = tidings("status", "--config", str(path), "--db", str(tmp_path / "a.db"))
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("bad", ['schedule = "3000000d"', "timeout = nan"])
def test_a_reload_with_an_out_of_range_value_keeps_the_daemon_on_its_old_config(site, tmp_path, daemons, bad):
    site.pages["/a"] = Page(Listing().render())
    path = tmp_path / "tidings.toml"
    write_config(path, [source("a", site.url("/a"))], extra='[defaults]\nschedule = "2s"')
    db = tmp_path / "t.db"
    daemon = daemons(path, db)
    wait_for(lambda: crawls(db, "a"), what="the first crawl", log=daemon)
    write_config(path, [source("a", site.url("/a"))], extra=f"[defaults]\n{bad}")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed" in daemon.text() or daemon.proc.poll() is not None, what="the reload", log=daemon)
    before = len(crawls(db, "a"))
    wait_for(lambda: len(crawls(db, "a")) >= before + 2, what="ticks on the old schedule", log=daemon)
    assert daemon.proc.poll() is None, daemon.text()
    daemon.stop()
    assert "reload failed, keeping the previous configuration" in daemon.text()
    assert "Traceback" not in daemon.text()
