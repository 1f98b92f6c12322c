"""`tidings run` and `tidings status` on cases the first tests did not cover:
a listing that really shrinks, a fresh install without an archive."""

from __future__ import annotations

from conftest import Page, tidings, write_config
from pages import DRUPAL_SOURCE, Listing, extra_item, seed_items


def test_a_listing_that_really_shrinks_is_suspect_once_then_watched_again(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "unece", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "a.db"

    def run():
        return tidings("run", "--config", str(config), "--db", str(db), "--json")

    assert run().code == 0
    site.pages["/news"] = Page(Listing(seed_items()[:4]).render())  # the site now shows 4 a page
    first = run()
    assert first.code == 1 and first.json["sources"][0]["status"] == "suspect"
    assert "where the previous crawl saw 10" in first.json["sources"][0]["error"]
    second = run()
    assert second.code == 0 and second.json["sources"][0]["status"] == "ok"
    site.pages["/news"] = Page(Listing([extra_item(1), *seed_items()[:3]]).render())
    third = run()
    assert third.code == 0, third.stdout
    assert [n["headline"] for n in third.json["sources"][0]["new"]] == [extra_item(1).headline]
