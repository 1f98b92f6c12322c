"""A Last-Modified in the same second as the response is weak (RFC 9110 §8.8.2.2): never asked with.

A page changed twice within one second keeps the same (second-resolution)
Last-Modified; a server that honours If-Modified-Since would answer 304 to
it forever, and the second change would never be seen.
"""

from __future__ import annotations

import time
from email.utils import formatdate, parsedate_to_datetime

from tests.helpers import tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items


class SecondResolutionPage:
    """A listing served like a static file: Last-Modified is the second it last changed, no ETag,
    and If-Modified-Since is honoured (304 when the page has not changed since that second)."""

    def __init__(self, body: str, modified: float):
        self.body, self.modified = body, int(modified)
        self.asked: list[str | None] = []

    def __call__(self, handler) -> None:
        since = handler.headers.get("If-Modified-Since")
        self.asked.append(since)
        unchanged = since is not None and parsedate_to_datetime(since).timestamp() >= self.modified
        body = b"" if unchanged else self.body.encode()
        handler.send_response_only(304 if unchanged else 200)
        handler.send_header("Date", formatdate(self.modified, usegmt=True))  # answered within that second
        handler.send_header("Last-Modified", formatdate(self.modified, usegmt=True))
        if not unchanged:
            handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _run(config, db):
    return tidings("run", "--config", str(config), "--db", str(db), "--json")


def test_a_page_changed_within_the_second_of_the_crawl_is_not_hidden_by_a_304(tmp_path, site):
    second = time.time()
    page = SecondResolutionPage(Listing().render(), second)
    site.pages["/news"] = page
    config = write_config(tmp_path / "tidings.toml", [{"name": "press", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "archive.db"
    assert _run(config, db).code == 0

    # A new release goes up within the same second: Last-Modified cannot change.
    page.body = Listing([extra_item(1), *seed_items()]).render()
    changed = _run(config, db)
    assert changed.code == 0, changed.stderr
    assert page.asked[1] is None  # the weak validator was not used for a conditional request
    [source] = changed.json["sources"]
    assert [n["headline"] for n in source["new"]] == [extra_item(1).headline]


def test_an_archive_holding_a_weak_last_modified_stops_asking_with_it(tmp_path, site):
    """Archives written before this rule hold such values: a 304 must not keep them forever."""
    import sqlite3

    second = time.time()
    page = SecondResolutionPage(Listing().render(), second)
    site.pages["/news"] = page
    config = write_config(tmp_path / "tidings.toml", [{"name": "press", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "archive.db"
    assert _run(config, db).code == 0
    with sqlite3.connect(db) as conn:  # what an older Tidings stored: the weak value itself
        conn.execute("UPDATE pages SET last_modified = ?", (formatdate(page.modified, usegmt=True),))
    page.body = Listing([extra_item(1), *seed_items()]).render()
    changed = _run(config, db)
    assert [n["headline"] for n in changed.json["sources"][0]["new"]] == [extra_item(1).headline]


def test_a_last_modified_well_before_the_response_is_still_used(tmp_path, site):
    page = SecondResolutionPage(Listing().render(), time.time() - 3600)
    page_date = page.modified

    def answer(handler):  # Date is now, Last-Modified an hour ago: a strong validator
        page.modified = page_date
        since = handler.headers.get("If-Modified-Since")
        page.asked.append(since)
        unchanged = since is not None and parsedate_to_datetime(since).timestamp() >= page.modified
        body = b"" if unchanged else page.body.encode()
        handler.send_response(304 if unchanged else 200)
        handler.send_header("Last-Modified", formatdate(page.modified, usegmt=True))
        if not unchanged:
            handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.pages["/news"] = answer
    config = write_config(tmp_path / "tidings.toml", [{"name": "press", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "archive.db"
    assert _run(config, db).code == 0
    second = _run(config, db)
    assert page.asked[1] == formatdate(page_date, usegmt=True)
    assert second.json["sources"][0]["status"] == "ok"
