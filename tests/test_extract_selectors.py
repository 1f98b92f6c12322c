"""Extraction on markup unlike the Drupal fixture: blocks sharing a tag link,
text-node (`::text`) selectors, headlines with inline markup."""

from __future__ import annotations

import pytest

from scraper.dates import parse_date
from scraper.extract import extract
from scraper.selectors import Selectors
from tests.helpers import Page, tidings, write_config

TAGGED = """<html><body><div class="list">
<div class="row"><span class="tag"><a href="/topics/env">Environment</a></span>
  <h3>Water convention enters into force</h3><p>Text A</p></div>
<div class="row"><span class="tag"><a href="/topics/env">Environment</a></span>
  <h3>Air quality report published</h3><p>Text B</p></div>
<div class="row"><span class="tag"><a href="/topics/env">Environment</a></span>
  <h3><a href="/n/3">Part <em>one</em> of three</a></h3><p>Text C</p></div>
<div class="row"><span class="tag"><a href="/topics/env">Environment</a></span>
  <h3><a href="/n/3">Part one of three</a></h3><p>A featured copy</p></div>
</div></body></html>"""


def _records(html, url="https://x.example/news", **selectors):
    return extract(html, url, Selectors(**selectors), "t").records


def test_blocks_sharing_a_tag_link_stay_separate_items():
    records = _records(TAGGED, item="div.row", headline="h3", summary="p")
    assert [r.headline for r in records] == [
        "Water convention enters into force", "Air quality report published", "Part one of three"]
    # A link every block shares is nobody's own link; a block's own link stays.
    assert [r.url for r in records] == [None, None, "https://x.example/n/3"]
    assert len({r.key for r in records}) == 3


def test_an_explicit_link_selector_shared_by_all_blocks_does_not_merge_them():
    records = _records(TAGGED, item="div.row", headline="h3", link=".tag a::attr(href)")
    assert len(records) == 3


def test_text_node_headline_keeps_inline_markup_and_finds_its_link():
    records = _records(TAGGED, item="div.row", headline="h3 ::text")
    assert records[2].headline == "Part one of three"
    assert records[2].url == "https://x.example/n/3"


def test_text_node_summary_is_not_split_at_inline_markup():
    html = ('<div class="r"><h3>T</h3><div class="s"><p>Winds of <em>120</em> km/h.</p>'
            '<p>Second <a href="#">para</a>.</p></div></div>')
    for summary in ("div.s ::text", "xpath:.//div[@class='s']//text()"):
        assert _records(html, "https://x/", item="div.r", headline="h3", summary=summary)[0].summary == (
            "Winds of 120 km/h.\n\nSecond para.")
    # Nested matches (a container and its paragraphs) give each paragraph once.
    assert _records(html, "https://x/", item="div.r", headline="h3", summary="div.s, div.s p")[0].summary == (
        "Winds of 120 km/h.\n\nSecond para.")


def test_first_headline_match_with_text_is_the_headline():
    html = '<ul><li><h2 class="t"><i class="icon"></i></h2><h3 class="t"><a href="/a">Real title</a></h3></li></ul>'
    assert _records(html, "https://x/", item="li", headline=".t")[0].headline == "Real title"


def test_tagged_listing_through_the_cli(site, tmp_path):
    site.pages["/news"] = Page(TAGGED)
    config = write_config(tmp_path / "t.toml", [
        {"name": "tagged", "url": site.url("/news"), "item": "div.row", "headline": "h3", "summary": "p"}])
    result = tidings("preview", "--source", "tagged", "--config", str(config), "--json")
    assert result.code == 0, result.stderr
    assert [r["headline"] for r in result.json] == [
        "Water convention enters into force", "Air quality report published", "Part one of three"]
    assert [r["position"] for r in result.json] == [0, 1, 2]


@pytest.mark.parametrize("text, expected", [
    ("Updated 12 Mar 2024 | 4 min read", "2024-03-12"),
    ("3 comments · Nov 5, 2024", "2024-11-05"),
    ("By Jane, 4 staff - 12th of March 2024", "2024-03-12"),
    ("Read 5 min · 2024-03-12", "2024-03-12"),
    ("Posted on 2024/03/12", "2024-03-12"),
    ("Nov 5, 2024 at 3:45 pm", "2024-11-05T15:45:00"),
    ("Monday, 15 November 2021 - 10:00", "2021-11-15T10:00:00"),
    ("Page 1 of 12", None),
])
def test_a_date_inside_other_text_is_found_and_other_numbers_ignored(text, expected):
    assert parse_date(text) == expected


def test_date_selector_on_a_labelled_span():
    html = ('<ul><li><a href="/a">Budget announced</a><span class="meta">3 comments · '
            'Published: 12 March 2024</span></li></ul>')
    assert _records(html, "https://gov.example/", item="li", headline="a", date="span.meta")[0].published == "2024-03-12"


def test_link_selector_naming_an_element_inside_a_card_link():
    html = ('<div class="cards"><article><a href="/story/1" class="card"><h3>Storm hits coast</h3></a></article>'
            '<article><a href="/story/2" class="card"><h3>Markets rally</h3></a></article></div>')
    records = _records(html, "https://news.example/latest", item="article", headline="h3", link="h3")
    assert [r.url for r in records] == ["https://news.example/story/1", "https://news.example/story/2"]


def test_a_featured_copy_under_another_title_stays_one_item_by_its_link():
    html = ('<div><div class="t"><h2><a href="/s/1">Storm: what we know</a></h2></div>'
            '<div class="t"><h2><a href="/s/1">Storm hits the coast</a></h2></div>'
            '<div class="t"><h2><a href="/s/2">Markets rally</a></h2></div></div>')
    records = _records(html, "https://news.example/", item="div.t", headline="h2")
    assert [(r.headline, r.url) for r in records] == [
        ("Storm: what we know", "https://news.example/s/1"), ("Markets rally", "https://news.example/s/2")]
