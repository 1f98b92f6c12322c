"""False floods, end to end under automatic detection: a "back soon" page that shows
only a "most read" list is suspect, not eight new items; a redesign that moves every
story to a new URL reports nothing new, and the items keep their history."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items

MOST_READ = [
    "How the new tram line will change your commute",
    "Ten walks to take along the river this autumn",
    "City council approves budget after late-night session",
    "Local bakery wins national bread award",
    "What the heatwave means for allotment growers",
    "School places: the key dates for parents",
    "Street party permits now free for residents",
    "Library reopens after two-year refurbishment",
]


def _back_soon() -> str:
    rows = "".join(
        f'<li class="most-read__item"><h3><a href="/articles/{i}-{h.split()[0].lower()}">{h}</a></h3>'
        f"<p>{h}: read the story.</p></li>" for i, h in enumerate(MOST_READ, 1))
    return ("<html><head><title>Back soon</title></head><body><main><h1>We'll be back soon</h1>"
            "<p>Our news pages are being updated. Please try again in a few minutes.</p>"
            f'<section class="most-read"><h2>Most read</h2><ol>{rows}</ol></section></main></body></html>')


def _run(config, db):
    result = tidings("run", "--config", str(config), "--db", str(db), "--json")
    assert result.code in (0, 1), result.stderr
    return result.json["sources"][0]


def _setup(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news")}])  # detected automatically
    db = tmp_path / "t.db"
    assert _run(config, db)["status"] == "baseline"
    return config, db


def test_a_back_soon_page_with_a_most_read_list_is_suspect(tmp_path, site):
    config, db = _setup(tmp_path, site)
    site.pages["/news"] = Page(_back_soon())
    during = _run(config, db)
    assert during["status"] == "suspect", during
    # Detection read another region of the page, or (same markup) nothing on it was seen before.
    assert during["new"] == [] and ("none of the" in during["error"] or "switched to another part" in during["error"])
    site.pages["/news"] = Page(Listing([extra_item(1), *seed_items()]).render())
    after = _run(config, db)
    assert (after["status"], [n["headline"] for n in after["new"]]) == ("ok", [extra_item(1).headline])
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM items WHERE headline IN (%s)" % ",".join("?" * 8), MOST_READ).fetchone() == (0,)


def test_a_most_read_list_in_the_listings_own_markup_is_suspect(tmp_path, site):
    """The same selectors match (the site renders its "most read" box like its listing), but
    nothing on the page was ever seen: not eight new items."""
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "t.db"
    assert _run(config, db)["status"] == "baseline"
    strangers = [replace(extra_item(n), headline=h, path=f"/articles/{n}") for n, h in enumerate(MOST_READ, 1)]
    site.pages["/news"] = Page(Listing(strangers).render())
    during = _run(config, db)
    assert (during["status"], during["new"]) == ("suspect", [])
    assert during["error"].startswith("none of the 8 items on the page was seen before, where the last good crawl saw 10")


def test_a_redesign_moving_every_story_to_new_urls_reports_nothing_new(tmp_path, site):
    config, db = _setup(tmp_path, site)
    redesigned = [replace(item, path="/en/newsroom/2021" + item.path) for item in seed_items()]
    site.pages["/news"] = Page(Listing(redesigned).render())
    moved = _run(config, db)
    assert (moved["status"], moved["new"]) == ("ok", [])
    with sqlite3.connect(db) as conn:
        urls = [row[0] for row in conn.execute("SELECT url FROM items ORDER BY id")]
    assert len(urls) == 10 and all("/en/newsroom/2021/" in u for u in urls)  # the items now live at their new links
    # And the next crawl of the new site is an ordinary one.
    site.pages["/news"] = Page(Listing([replace(extra_item(1), path="/en/newsroom/2021/extra-1"), *redesigned]).render())
    again = _run(config, db)
    assert [n["headline"] for n in again["new"]] == [extra_item(1).headline]
