"""Keyword filters (`include` / `exclude`): the matching rules, the config keys,
and end to end through the real CLI with real SMTP and webhook receivers:
a filtered item is archived and exported, never reported or alerted."""

from __future__ import annotations

import json
import sqlite3

import pytest

from monitor.config import parse_config
from monitor.errors import ConfigError
from monitor.filters import TextFilter
from tests.alert_receivers import Receiver, SmtpServer, parts
from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Item, Listing, seed_items
from tests.test_alerts import email, webhook

ACCORD = Item("Ministers sign water accord", ["Rivers shared by five countries."], "/media/news/accord", "2021-12-20")
FORESTS = Item("Forest report published", ["Forests cover a third of the region."], "/media/news/forests", "2021-12-19")
TIPS = Item("Saving tips for households", ["Use less water at home."], "/media/news/tips", "2021-12-18")


@pytest.mark.parametrize("include, exclude, headline, summary, passes", [
    ((), (), "Anything", "", True),
    (("water",), (), "Ministers sign WATER accord", "", True),  # case-insensitive
    (("water",), (), "Watershed management", "", False),  # a word matches whole words only
    (("water",), (), "Forests", "Wetlands and water.", True),  # the summary counts too
    (("clean water",), (), "A clean  water plan", "", False),  # a phrase as written
    (("/water(shed)?s?/",), (), "Watershed management", "", True),  # a /regex/ matches anywhere
    (("/^forest/",), (), "Forest report", "", True),
    (("C++",), (), "C++ released", "", True),  # words with signs stand alone too
    (("C++",), (), "ABC++ released", "", False),
    ((), ("tips",), "Saving tips for households", "", False),
    (("water",), ("tips",), "Water saving tips", "", False),  # exclude wins
    (("water", "forest"), (), "Forest report", "", True),  # any include
])
def test_filter_rules(include, exclude, headline, summary, passes):
    assert TextFilter(include, exclude).passes(headline, summary) is passes


@pytest.mark.parametrize("table, message", [
    ({"source": [{"name": "a", "url": "https://example.org/", "include": ["/wat(er/"]}]},
     "source 'a': key 'include': '/wat(er/' is not a valid regular expression: missing ), unterminated subpattern"),
    ({"defaults": {"exclude": ["ok", "/[z-a]/"]}, "source": [{"name": "a", "url": "https://example.org/"}]},
     "[defaults]: key 'exclude': '/[z-a]/' is not a valid regular expression: bad character range z-a"),
    ({"source": [{"name": "a", "url": "https://example.org/"}],
      "notify": [{"type": "webhook", "name": "hook", "url": "https://example.org/hook", "include": "/+/"}]},
     "notify #1 'hook' (type webhook): key 'include': '/+/' is not a valid regular expression: nothing to repeat"),
    ({"source": [{"name": "a", "url": "https://example.org/", "exclude": []}]},
     "source 'a': key 'exclude': must be a non-empty list of strings"),
])
def test_bad_filters_are_config_errors_naming_the_key(table, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(table, "tidings.toml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_invalid_regex_from_the_cli_is_one_line_and_exit_2(tmp_path):
    config = write_config(tmp_path / "tidings.toml", [{"name": "a", "url": "https://example.org/", "include": ["/(/"]}])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "t.db"))
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "source 'a': key 'include': '/(/' is not a valid regular expression" in result.stderr


def test_defaults_filters_apply_to_every_source_and_a_source_replaces_them():
    config = parse_config({
        "defaults": {"exclude": ["tips"]},
        "source": [{"name": "a", "url": "https://example.org/a"},
                   {"name": "b", "url": "https://example.org/b", "exclude": ["forest"]}],
    })
    assert config.source("a").filter == TextFilter((), ("tips",))
    assert config.source("b").filter == TextFilter((), ("forest",))


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def smtp():
    s = SmtpServer().start()
    yield s
    s.stop()


def _run(config, db, *extra):
    result = tidings("run", "--config", str(config), "--db", str(db), *extra)
    assert result.code == 0, result.stdout + result.stderr
    return result


def _archived_headlines(db) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {h for (h,) in conn.execute("SELECT headline FROM items")}
    finally:
        conn.close()


def _alerted(receiver: Receiver, smtp: SmtpServer) -> tuple[list[str], list[str]]:
    hooked = [i["headline"] for hit in receiver.hits for i in hit.json["items"]]
    mailed = [parts(m)[0] for m in smtp.messages]
    return hooked, mailed


def test_source_filters_hold_back_reports_and_alerts_but_not_the_archive(tmp_path, site, receiver, smtp):
    site.pages["/news"] = Page(Listing().render())
    source = {"name": "un-news", "url": site.url("/news"), **DRUPAL_SOURCE, "include": ["water", "/^forest/"]}
    extra = "[defaults]\nexclude = ['tips']\n\n" + webhook(receiver, "hook") + email(smtp, "mail")
    config = write_config(tmp_path / "tidings.toml", [source], extra=extra)
    db = tmp_path / "tidings.db"
    assert _run(config, db, "--json").json["sources"][0]["status"] == "baseline"

    seeds = seed_items()
    edited = [Item(seeds[0].headline + " (corrected)", seeds[0].summary, seeds[0].path, seeds[0].date),  # has "water"
              Item("Corrected: " + seeds[1].headline, ["No longer about the matter."], seeds[1].path, seeds[1].date)]
    site.pages["/news"] = Page(Listing().with_items([ACCORD, FORESTS, TIPS] + edited + seeds[2:]).render())
    report = _run(config, db, "--json").json["sources"][0]
    assert report["status"] == "ok"
    assert [i["headline"] for i in report["new"]] == [ACCORD.headline, FORESTS.headline]
    assert [i["headline"] for i in report["updated"]] == [edited[0].headline]
    assert report["filtered"] == 2  # TIPS (excluded by [defaults]) and the edited item without "water"
    assert report["items_seen"] == 13

    hooked, mailed = _alerted(receiver, smtp)
    assert hooked == [ACCORD.headline, FORESTS.headline]  # "on" is new and broken by default
    (text,) = mailed
    assert ACCORD.headline in text and FORESTS.headline in text and TIPS.headline not in text

    # The archive is complete: filtered items are stored, with their versions, and exported.
    archived = _archived_headlines(db)
    assert {ACCORD.headline, FORESTS.headline, TIPS.headline, edited[1].headline} <= archived
    export = tidings("export", "--db", str(db), "--format", "json")
    assert export.code == 0, export.stderr
    exported = {row["headline"]: row for row in json.loads(export.stdout)}
    assert TIPS.headline in exported and exported[edited[1].headline]["versions"] == 2

    # The text report says how many were held back.
    text = _run(config, db).stdout
    assert "filtered" not in text  # nothing new this time, nothing filtered


def test_notifier_filters_choose_per_receiver(tmp_path, site, receiver, smtp):
    site.pages["/news"] = Page(Listing().render())
    source = {"name": "un-news", "url": site.url("/news"), **DRUPAL_SOURCE}
    tables = webhook(receiver, "hook", include=["water"]) + email(smtp, "mail", exclude=["/water|tips/"])
    config = write_config(tmp_path / "tidings.toml", [source], extra=tables)
    db = tmp_path / "tidings.db"
    _run(config, db)
    site.pages["/news"] = Page(Listing().with_items([ACCORD, FORESTS, TIPS] + seed_items()).render())
    report = _run(config, db, "--json").json["sources"][0]
    assert [i["headline"] for i in report["new"]] == [ACCORD.headline, FORESTS.headline, TIPS.headline]
    assert report["filtered"] == 0  # a notifier's filter never changes what the run reports

    hooked, mailed = _alerted(receiver, smtp)
    assert hooked == [ACCORD.headline, TIPS.headline]  # "water" in TIPS' summary
    (text,) = mailed
    assert FORESTS.headline in text and ACCORD.headline not in text and TIPS.headline not in text
    assert smtp.messages[0]["Subject"] == f"1 new on un-news: {FORESTS.headline}"
    assert len(_archived_headlines(db)) == 13


def test_text_report_counts_filtered_items(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    source = {"name": "un-news", "url": site.url("/news"), **DRUPAL_SOURCE, "exclude": ["forest"]}
    config = write_config(tmp_path / "tidings.toml", [source])
    db = tmp_path / "tidings.db"
    _run(config, db)
    site.pages["/news"] = Page(Listing().with_items([ACCORD, FORESTS] + seed_items()).render())
    out = _run(config, db).stdout  # not a TTY: quiet unless something is new
    assert "1 new" in out and "1 filtered" in out
    assert ACCORD.headline in out and FORESTS.headline not in out
