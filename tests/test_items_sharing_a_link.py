"""Stories whose links differ only by `#fragment` (one press page with an anchor
per story) are distinct items: each archived, a new one reported new, not
as an edit of its neighbour; archives written before keep their items."""

from __future__ import annotations

import sqlite3

from tests.helpers import Page, tidings, write_config

STORIES = [
    ("pr-4", "Minister opens new water treatment plant in the north"),
    ("pr-3", "Agency publishes annual report on air quality"),
    ("pr-2", "Call for proposals on river basin management"),
    ("pr-1", "Statement on the regional drought emergency"),
]
SELECTORS = {"item": "ul.releases li", "headline": "a", "link": "a::attr(href)", "summary": "p"}


def _page(stories) -> str:
    rows = "".join(f'<li><a href="/press-releases#{anchor}">{headline}</a><p>About: {headline}.</p></li>'
                   for anchor, headline in stories)
    return f"<html><body><h1>Press</h1><ul class='releases'>{rows}</ul></body></html>"


def _setup(tmp_path, site):
    site.pages["/news"] = Page(_page(STORIES))
    config = write_config(tmp_path / "t.toml", [{"name": "press", "url": site.url("/news"), **SELECTORS}])
    db = tmp_path / "t.db"
    return config, db, lambda: tidings("run", "--config", str(config), "--db", str(db), "--json")


def test_stories_linked_by_fragment_are_each_archived_and_a_new_one_is_new(tmp_path, site):
    config, db, run = _setup(tmp_path, site)
    first = run()
    assert first.code == 0, first.stderr
    with sqlite3.connect(db) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT headline FROM items")) == sorted(h for _, h in STORIES)
    added = ("pr-5", "Ministry launches consultation on coastal protection")
    site.pages["/news"] = Page(_page([added, *STORIES]))
    second = run()
    [source] = second.json["sources"]
    assert [n["headline"] for n in source["new"]] == [added[1]]
    assert source["new"][0]["url"].endswith("/press-releases#pr-5")
    assert source["updated"] == []


def test_an_archive_from_before_keeps_its_item_when_fragments_become_identity(tmp_path, site):
    config, db, run = _setup(tmp_path, site)
    assert run().code == 0
    with sqlite3.connect(db) as conn:  # as older versions archived the page: one item, at the bare link
        (url,) = conn.execute("SELECT url FROM items WHERE headline = ?", (STORIES[0][1],)).fetchone()
        bare = url.split("#")[0]
        conn.execute("DELETE FROM items WHERE headline != ?", (STORIES[0][1],))
        conn.execute("UPDATE items SET url = ?, key = ?", (bare, "url:" + bare))
    again = run()
    [source] = again.json["sources"]
    # The story archived before is not news again; the three it hid are seen for the first time.
    assert STORIES[0][1] not in [n["headline"] for n in source["new"]]
    assert sorted(n["headline"] for n in source["new"]) == sorted(h for _, h in STORIES[1:])
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (4,)
