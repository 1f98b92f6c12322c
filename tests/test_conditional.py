"""Conditional requests: an unchanged listing costs a 304, not a download, parse and diff."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from tests.helpers import tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items

LAST_MODIFIED = "Tue, 03 Dec 2024 10:00:00 GMT"


class ValidatingPage:
    """A listing that sends ETag/Last-Modified and honours (or ignores) the validators."""

    def __init__(self, body: str, *, etag: bool = True, last_modified: bool = True, honour: bool = True):
        self.body = body
        self.etag, self.last_modified, self.honour = etag, last_modified, honour
        self.seen: list[dict] = []  # the conditional headers of each request

    @property
    def tag(self) -> str:
        return '"' + hashlib.sha1(self.body.encode()).hexdigest()[:16] + '"'

    def __call__(self, handler) -> None:
        asked = {h: handler.headers.get(h) for h in ("If-None-Match", "If-Modified-Since")}
        self.seen.append(asked)
        unchanged = self.honour and (
            (self.etag and asked["If-None-Match"] == self.tag)
            or (not asked["If-None-Match"] and self.last_modified and asked["If-Modified-Since"] == LAST_MODIFIED)
        )
        body = b"" if unchanged else self.body.encode()
        handler.send_response(304 if unchanged else 200)
        if self.etag:
            handler.send_header("ETag", self.tag)
        if self.last_modified:
            handler.send_header("Last-Modified", LAST_MODIFIED)
        if not unchanged:
            handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture
def setup(tmp_path, site):
    def make(**options):
        page = ValidatingPage(Listing().render(), **options)
        site.pages["/news"] = page
        config = write_config(tmp_path / "tidings.toml", [{"name": "unece", "url": site.url("/news"), **DRUPAL_SOURCE}])
        db = tmp_path / "archive.db"
        return page, lambda: tidings("run", "--config", str(config), "--db", str(db), "--json"), db

    return make


def crawls(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT crawls.status, crawls.http_status, crawls.items_seen, crawls.new,"
            " (SELECT count(*) FROM sightings WHERE sightings.crawl_id = crawls.id) FROM crawls ORDER BY id"
        ).fetchall()


def test_an_unchanged_page_is_answered_304_and_recorded_ok_with_nothing_new(setup):
    page, run, db = setup()
    first = run()
    assert first.code == 0, first.stderr
    assert page.seen[0] == {"If-None-Match": None, "If-Modified-Since": None}

    second = run()
    assert second.code == 0, second.stderr
    assert page.seen[1] == {"If-None-Match": page.tag, "If-Modified-Since": LAST_MODIFIED}
    [source] = second.json["sources"]
    assert (source["status"], source["items_seen"], source["new"], source["error"]) == ("ok", 10, [], None)
    # The 304 crawl: ok, the previous good count, nothing new, no sightings (nothing was parsed).
    assert crawls(db) == [("baseline", 200, 10, 0, 10), ("ok", 304, 10, 0, 0)]
    # ...but the items are on the listing still: the 304 crawl is the last that saw them.
    with sqlite3.connect(db) as conn:
        (first_id, first_done), (second_id, second_done) = conn.execute("SELECT id, finished FROM crawls ORDER BY id")
        items = conn.execute("SELECT first_seen, last_seen, first_crawl_id, last_crawl_id FROM items").fetchall()
    assert second_done > first_done
    assert items == [(first_done, second_done, first_id, second_id)] * 10


def test_a_304_moves_last_seen_only_of_the_items_on_the_page_it_confirms(setup):
    page, run, db = setup()
    assert run().code == 0
    page.body = Listing(seed_items()[2:]).render()  # two items leave the listing: a new ETag
    assert run().code == 0
    assert run().code == 0  # a 304 confirming the 8-item page
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM crawls ORDER BY id")]
        last_crawls = sorted(row[0] for row in conn.execute("SELECT last_crawl_id FROM items"))
    assert crawls(db)[-1] == ("ok", 304, 8, 0, 0)
    assert last_crawls == [ids[0]] * 2 + [ids[2]] * 8


def test_a_changed_page_gets_a_new_etag_and_is_parsed_and_diffed(setup):
    page, run, db = setup()
    assert run().code == 0
    assert run().code == 0  # a 304
    old_tag = page.tag
    page.body = Listing([extra_item(1), extra_item(2), *seed_items()]).render()
    changed = run()
    assert changed.code == 0, changed.stderr
    assert page.seen[2]["If-None-Match"] == old_tag
    [source] = changed.json["sources"]
    assert source["status"] == "ok" and source["items_seen"] == 12
    assert [n["headline"] for n in source["new"]] == [extra_item(1).headline, extra_item(2).headline]
    # The new ETag is the one asked next time, and that answer is a 304 again.
    again = run()
    assert page.seen[3]["If-None-Match"] == page.tag
    assert again.json["sources"][0]["new"] == []
    assert crawls(db)[-1] == ("ok", 304, 12, 0, 0)


TAG = object()  # stands for the page's own ETag, known only once the test runs


@pytest.mark.parametrize(
    ("server", "asked", "last_crawl"),
    [
        # Last-Modified alone is used when there is no ETag, and answered 304.
        ({"etag": False}, {"If-None-Match": None, "If-Modified-Since": LAST_MODIFIED}, ("ok", 304, 10, 0, 0)),
        # A server that ignores validators still works: a whole page, parsed and diffed.
        ({"honour": False}, {"If-None-Match": TAG, "If-Modified-Since": LAST_MODIFIED}, ("ok", 200, 10, 0, 10)),
        # A server that sends no validators is fetched whole every time.
        ({"etag": False, "last_modified": False}, {"If-None-Match": None, "If-Modified-Since": None},
         ("ok", 200, 10, 0, 10)),
    ],
    ids=["last-modified-only", "ignores-validators", "no-validators"],
)
def test_second_run_against_servers_with_partial_or_no_support(setup, server, asked, last_crawl):
    page, run, db = setup(**server)
    assert run().code == 0
    second = run()
    assert second.code == 0, second.stderr
    assert page.seen[1] == {k: page.tag if v is TAG else v for k, v in asked.items()}
    [source] = second.json["sources"]
    assert (source["status"], source["items_seen"], source["new"]) == ("ok", 10, [])
    assert crawls(db)[-1] == last_crawl


def _as_schema_5(db) -> None:
    """The archive as Tidings before migration 6 left it: pages without crawl_id."""
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "CREATE TABLE old_pages (source_id INTEGER PRIMARY KEY REFERENCES sources(id), url TEXT NOT NULL,"
            " etag TEXT, last_modified TEXT);"
            "INSERT INTO old_pages SELECT source_id, url, etag, last_modified FROM pages;"
            "DROP TABLE pages; ALTER TABLE old_pages RENAME TO pages;"
            "DELETE FROM meta WHERE key = 'migration:6'; UPDATE meta SET value = '5' WHERE key = 'schema_version';"
        )


def test_a_304_in_an_archive_upgraded_from_schema_5_moves_last_seen_too(setup):
    page, run, db = setup()
    assert run().code == 0  # baseline: the page and its validators
    assert run().code == 0  # a 304 (no sightings)
    _as_schema_5(db)
    third = run()  # migration 6, then a 304 confirming the baseline's page
    assert third.code == 0, third.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT 1 FROM meta WHERE key = 'migration:6'").fetchone() == (1,)
        ids = [row[0] for row in conn.execute("SELECT id FROM crawls ORDER BY id")]
        last_crawls = [row[0] for row in conn.execute("SELECT last_crawl_id FROM items")]
    assert crawls(db)[-1] == ("ok", 304, 10, 0, 0)
    assert last_crawls == [ids[2]] * 10


def test_a_304_recorded_after_another_process_saw_a_changed_page_confirms_only_the_page_it_asked_about(tmp_path):
    """`scrapy crawl listing` (no source locks) may record a changed page while a
    `tidings run` waits for its 304 to the older validators: that 304 confirms
    the older page's items at its own time, not the newer page's."""
    from monitor.archive import Archive
    from monitor.record import record_crawl
    from scraper.items import Record, SourceCrawl

    def record(*names):
        return [Record("s", n.upper(), "", f"https://example.org/{n}", None, i) for i, n in enumerate(names)]

    url = "https://example.org/news"
    with Archive(tmp_path / "a.db") as archive:
        old = record_crawl(archive, SourceCrawl("s", url, "2026-01-01T08:00:00.000+00:00", "2026-01-01T08:00:01.000+00:00", record("a", "b", "c"),
                                                http_status=200, pages=1, validators={"etag": '"v1"'}), run_id="r1")
        sent = archive.crawls.page_validators()["s"]  # what `tidings run` asks with...
        newer = record_crawl(archive, SourceCrawl("s", url, "2026-01-01T09:00:00.000+00:00", "2026-01-01T09:00:05.000+00:00", record("c", "d"),
                                                  http_status=200, pages=1, validators={"etag": '"v2"'}), run_id="r2")
        # ...and the 304 it got at 09:00:02, before the other process finished, recorded last.
        answer = SourceCrawl("s", url, "2026-01-01T09:00:00.000+00:00", "2026-01-01T09:00:02.000+00:00", http_status=304, pages=1,
                             not_modified=True, validators=sent)
        confirm = record_crawl(archive, answer, run_id="r1b")
        seen = dict(archive.conn.execute("SELECT headline, last_crawl_id FROM items"))
    # a and b were on the page the 304 confirmed; c was seen later by the newer crawl; d never by the 304.
    assert seen == {"A": confirm.crawl_id, "B": confirm.crawl_id, "C": newer.crawl_id, "D": newer.crawl_id}
    assert old.crawl_id < newer.crawl_id < confirm.crawl_id
