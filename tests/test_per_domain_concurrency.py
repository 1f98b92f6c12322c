"""`[crawl] per_domain`: a host never sees more requests of one run at once, articles and listings alike.

Counted by the real local server itself (tests.helpers.Site.most_at_once:
requests it was answering at the same moment), with `delay = 0`, where
Scrapy 2.14+ on its own sends a host's whole queue at once
(scraper/downloader.py).  Each page takes a moment to answer, so requests
sent together are seen together.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.article_site import ENGLISH, MAX_BYTES, ArticleSite
from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, seed_items

SLOW = 0.2  # seconds each slow page takes to answer


@pytest.fixture
def news():
    site = ArticleSite.start()
    yield site
    site.close()


@pytest.mark.parametrize("per_domain", [1, 2])
def test_article_pages_of_one_host_are_fetched_no_more_than_per_domain_at_a_time(tmp_path, news, per_domain):
    slugs = [f"release-{n}" for n in range(6)]
    for n, slug in enumerate(slugs):
        news.add_article(slug, f"Release number {n}", ENGLISH)
        news.site.pages[f"/news/{slug}"].delay = SLOW
    config = write_config(tmp_path / "tidings.toml",
                          [{**DRUPAL_SOURCE, "name": "news", "url": news.listing_url, "follow": True}],
                          crawl={"max_bytes": MAX_BYTES, "per_domain": per_domain, "delay": 0})
    db = tmp_path / "tidings.db"
    result = tidings("run", "--config", str(config), "--db", str(db))
    assert result.code == 0, result.stderr

    with sqlite3.connect(db) as conn:
        fetched = conn.execute("SELECT count(*) FROM articles a JOIN items i ON i.id = a.item_id"
                               " WHERE i.url LIKE '%/release-%' AND a.error IS NULL").fetchone()[0]
    assert fetched == len(slugs)  # every article was fetched, each in its turn
    assert all(news.fetches(f"/news/{slug}") == 1 for slug in slugs)
    assert news.site.most_at_once <= per_domain


def test_listings_of_several_sources_on_one_host_are_fetched_one_at_a_time_with_per_domain_1(tmp_path, site):
    names = [f"desk-{n}" for n in range(4)]
    for name in names:
        site.pages[f"/{name}"] = Page(Listing(seed_items()).render(), delay=SLOW)
    config = write_config(tmp_path / "tidings.toml",
                          [{**DRUPAL_SOURCE, "name": name, "url": site.url(f"/{name}")} for name in names],
                          crawl={"per_domain": 1, "delay": 0})
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "tidings.db"), "--json")
    assert result.code == 0, result.stderr
    assert [s["status"] for s in result.json["sources"]] == ["baseline"] * len(names)
    assert site.most_at_once == 1
