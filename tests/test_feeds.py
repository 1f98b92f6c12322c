"""Atom and RSS feeds: `tidings feed` and the feeds_dir written after every run.

Feeds are read back with feedparser, as a feed reader would.
"""

from __future__ import annotations

import calendar
import sqlite3
from dataclasses import replace
from datetime import datetime

import feedparser
import pytest

from tests.archives import A3, DAY2, DAY3, MARKUP, SOURCE_URLS, W1_EDITED, W4, build_sample
from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items


def parsed(xml: bytes | str):
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def stamp(entry, field: str = "published") -> str:
    """An entry's date as UTC ISO seconds."""
    return datetime.utcfromtimestamp(calendar.timegm(entry[f"{field}_parsed"])).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "tidings.db"
    return path, build_sample(path)


def feed(db, *args: str) -> bytes:
    result = tidings("feed", "--db", str(db), *args)
    assert result.code == 0, result.stderr
    return result.stdout.encode("utf-8")


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feed_has_titles_links_dates_and_ids(sample, fmt):
    db, expected = sample
    entries = parsed(feed(db, "--format", fmt)).entries
    # Newest first_seen first; within one crawl, page order.
    newest = sorted(expected.items, key=lambda i: (i["first_seen"], -i["item_id"]), reverse=True)
    assert [e.title for e in entries] == [i["headline"] for i in newest]
    by_title = {e.title: e for e in entries}
    # Markup, "]]>" and "&" in scraped text stay text; newlines in summaries survive.
    assert MARKUP in by_title and by_title[MARKUP].link == SOURCE_URLS["water"]  # no link of its own
    # An edited item says what changed, then gives its summary (quotes, paragraphs, non-ASCII).
    note, _, summary = by_title[W1_EDITED[0]].summary.partition("\n\n")
    assert summary == W1_EDITED[1]
    assert note.startswith("Edited ") and "headline Über «Wasser» — 水 protection[-, with commas-]{+ (corrected)+}" in note
    content = by_title[W1_EDITED[0]].content[0].value
    assert "<del>, with commas</del><ins> (corrected)</ins>" in content
    assert by_title[W4[0]].summary.replace("\r\n", "\n") == W4[1].replace("\r\n", "\n")
    assert by_title[W1_EDITED[0]].link == W1_EDITED[2]
    # Date: published when the page gave one, else first_seen.
    assert stamp(by_title[W1_EDITED[0]]) == "2026-01-09T00:00:00"
    assert stamp(by_title["Drought report for the basin"]) == "2026-01-08T09:30:00"
    assert stamp(by_title[W4[0]]) == DAY2[:19]
    assert stamp(by_title[A3[0]]) == "2026-01-15T00:00:00"
    ids = [e.id for e in entries]
    assert len(set(ids)) == len(ids)
    assert by_title[A3[0]].id == "tag:tidings,2026:air/url:" + A3[2]


def test_feed_filters_and_limits(sample):
    db, _ = sample
    water = parsed(feed(db, "--source", "water", "--limit", "2"))
    assert water.feed.title == "Tidings: water"
    assert water.feed.link == SOURCE_URLS["water"]
    assert [e.title for e in water.entries] == [W4[0], W1_EDITED[0]]
    both = parsed(feed(db, "--source", "air", "--source", "water", "--format", "rss", "--limit", "1"))
    assert [e.title for e in both.entries] == [A3[0]]
    result = tidings("feed", "--db", str(db), "--source", "nope")
    assert result.code == 2 and result.stderr.startswith("tidings: error: ") and "nope" in result.stderr


def test_text_xml_cannot_carry_is_dropped_not_fatal(tmp_path):
    from monitor.archive import Archive
    from monitor.record import record_crawl
    from scraper.items import Record, SourceCrawl

    db = tmp_path / "tidings.db"
    headline = "Bell\x07 and form feed\x0c in a <i>title</i> ]]>"
    with Archive(db) as archive:
        crawl = SourceCrawl("odd", "https://odd.example/", DAY3, DAY3,
                            [Record("odd", headline, "tab\tkept", "https://odd.example/1", None, 0)])
        record_crawl(archive, crawl, run_id="r")
    for fmt in ("atom", "rss"):
        entry = parsed(feed(db, "--format", fmt)).entries[0]
        assert entry.title == "Bell and form feed in a <i>title</i> ]]>"


def test_feed_to_file(sample, tmp_path):
    db, _ = sample
    out = tmp_path / "water.rss"
    assert tidings("feed", "--db", str(db), "--format", "rss", "-o", str(out)).stdout == ""
    assert parsed(out.read_bytes()).version == "rss20"
    assert [p.name for p in tmp_path.iterdir()] == ["water.rss"]


def site_config(site, tmp_path, listing: Listing, feeds_dir: str = "feeds"):
    site.pages["/news"] = Page(listing.render())
    source = {"name": "unece-environment", "url": site.url("/news"), **DRUPAL_SOURCE}
    return write_config(tmp_path / "tidings.toml", [source], extra=f"feeds_dir = {feeds_dir!r}")


def test_feeds_dir_is_refreshed_after_every_run_with_stable_ids(site, tmp_path):
    seeds = seed_items()
    config = site_config(site, tmp_path, Listing())
    db = tmp_path / "data" / "tidings.db"
    run = tidings("run", "--config", str(config), "--db", str(db))
    assert run.code == 0, run.stderr
    feeds = tmp_path / "feeds"  # relative to the configuration file's folder
    assert sorted(p.relative_to(feeds).as_posix() for p in feeds.rglob("*") if p.is_file()) == [
        "all.atom", "all.rss", "sources/unece-environment.atom", "sources/unece-environment.rss"]
    first = parsed((feeds / "sources" / "unece-environment.atom").read_bytes())
    assert first.feed.title == "Tidings: unece-environment"
    assert [e.title for e in first.entries] == [s.headline for s in seeds]
    assert [e.link for e in first.entries] == [site.url(s.path) for s in seeds]
    assert [stamp(e) for e in first.entries] == [f"{s.date}T12:00:00" for s in seeds]
    ids = {e.link: e.id for e in first.entries}

    # Next run: one new release on top, and a headline edited in place.
    edited = replace(seeds[2], headline=seeds[2].headline + " (updated)")
    site_config(site, tmp_path, Listing().with_items([extra_item(1), *seeds[:2], edited, *seeds[3:]]))
    run = tidings("run", "--config", str(config), "--db", str(db))
    assert run.code == 0, run.stderr
    for name in ("all.atom", "all.rss", "sources/unece-environment.rss"):
        second = parsed((feeds / name).read_bytes())
        assert second.entries[0].title == extra_item(1).headline
        assert stamp(second.entries[0]) == "2021-12-01T12:00:00"
        assert {e.link: e.id for e in second.entries[1:]} == ids  # same ids, run after run
        assert second.entries[3].title == edited.headline
    assert not [p for p in feeds.rglob("*.tmp")]


def test_feeds_dir_setting_errors(site, tmp_path):
    config = site_config(site, tmp_path, Listing())
    text = config.read_text(encoding="utf-8").replace("feeds_dir = 'feeds'", "feeds_dir = 3")
    config.write_text(text, encoding="utf-8")
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "t.db"))
    assert result.code == 2 and "key 'feeds_dir'" in result.stderr and str(config) in result.stderr

    (tmp_path / "blocker").write_text("a file, not a folder")
    config = site_config(site, tmp_path, Listing(), feeds_dir=str(tmp_path / "blocker" / "feeds"))
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "t.db"))
    assert result.code == 2 and "cannot create feeds_dir" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not site.requests  # failed before crawling
    assert not (tmp_path / "t.db").exists() or sqlite3.connect(tmp_path / "t.db").execute(
        "SELECT count(*) FROM crawls").fetchone()[0] == 0
