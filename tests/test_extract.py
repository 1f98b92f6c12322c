"""Extraction with configured selectors: HTML in, records out (no I/O)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.pages import DRUPAL_SOURCE, FIXTURES, Item, Listing, seed_items
from scraper.dates import parse_date
from scraper.extract import extract
from scraper.markup import element_paragraphs, parse_html
from scraper.selectors import SelectorError, Selectors, compile_selector
from scraper.text import normalise_space
from scraper.urls import canonical_url

BASE = "https://unece.org/media/news?f%5B0%5D=program%3A404"
DRUPAL = Selectors(**DRUPAL_SOURCE)


def seed_blocks_from_text() -> list[tuple[str, str]]:
    """The seed page's text, independently of our fixture: (headline, summary) pairs."""
    text = (FIXTURES / "seed.txt").read_text(encoding="utf-8")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()][1:]
    blocks: list[list] = []
    for p in paragraphs:
        if p[-1] in ".?":
            blocks[-1][1].append(p)
        else:
            blocks.append([p, []])
    return [(h, "\n\n".join(s)) for h, s in blocks]


def test_seed_page_gives_the_ten_releases_exactly():
    records = extract(Listing().render(), BASE, DRUPAL, "unece").records
    expected = seed_blocks_from_text()
    assert len(expected) == 10
    assert [(r.headline, r.summary) for r in records] == expected
    assert [r.position for r in records] == list(range(10))
    assert {r.source for r in records} == {"unece"}


def test_multi_paragraph_summaries_are_joined_by_one_blank_line():
    records = extract(Listing().render(), BASE, DRUPAL).records
    handbook = records[5]
    assert handbook.headline.startswith("Novel Handbook tackles")
    assert handbook.summary.split("\n\n") == [
        "Which users may use how much water of a river, lake, aquifer or other source? For what purposes, where and when?",
        seed_items()[5].summary[1],
    ]


def test_relative_and_absolute_links_become_the_same_absolute_urls():
    relative = extract(Listing().render(), BASE, DRUPAL).records
    absolute = extract(Listing(absolute_base="https://unece.org").render(), BASE, DRUPAL).records
    assert [r.url for r in relative] == [r.url for r in absolute]
    assert relative[0].url == "https://unece.org/media/news/360000"


def test_dates_come_out_as_iso_8601():
    records = extract(Listing().render(), BASE, DRUPAL).records
    assert records[0].published == "2021-11-26T12:00:00+00:00"
    text_dates = Selectors(item=DRUPAL.item, headline="h3", date="time::text")
    assert extract(Listing().render(), BASE, text_dates).records[0].published == "2021-11-26"


def test_xpath_selectors_give_the_same_records_as_css():
    xpath = Selectors(
        item="xpath://div[@class='view-content']/div[contains(@class, 'views-row')]",
        headline="xpath:.//h3",
        summary="xpath:.//div[contains(@class, 'summary')]/p",
        link="xpath:.//h3/a/@href",
        date="xpath:.//time/@datetime",
    )
    html = Listing().render()
    assert extract(html, BASE, xpath).records == extract(html, BASE, DRUPAL).records


def test_default_link_is_the_headline_link_else_the_first_in_the_block():
    html = """<ul>
      <li><h2>No link in headline</h2><p>x</p><a href="/a">more</a></li>
      <li><a href="/b"><h2>Headline inside link</h2></a></li>
      <li><h2><a href="/c#top">Linked headline</a></h2><a href="/other">other</a></li>
    </ul>"""
    records = extract(html, "http://example.org/news", Selectors(item="li", headline="h2")).records
    assert [r.url for r in records] == ["http://example.org/a", "http://example.org/b", "http://example.org/c"]


def test_a_link_back_to_the_listing_itself_is_no_identity():
    html = '<div class="i"><h2><a href="#">One</a></h2></div><div class="i"><h2><a href="/news">Two</a></h2></div>'
    records = extract(html, "http://example.org/news", Selectors(item="div.i", headline="h2")).records
    assert [r.url for r in records] == [None, None]
    assert records[0].key != records[1].key


def test_blocks_without_headline_are_skipped_and_duplicates_kept_once():
    html = """<div class="r"><h3><a href="/x">Same</a></h3></div>
              <div class="r"><h3> </h3></div>
              <div class="r"><h3><a href="/x">Same</a></h3></div>
              <div class="r"><h3><a href="/y">Other</a></h3></div>"""
    records = extract(html, "http://e.org/", Selectors(item="div.r", headline="h3")).records
    assert [r.headline for r in records] == ["Same", "Other"]
    assert [r.position for r in records] == [0, 1]


def test_next_page_is_resolved_against_the_page():
    html = Listing(next_page="?page=1").render()
    result = extract(html, "http://e.org/news?page=0", Selectors(**DRUPAL_SOURCE, next_page="a[rel=next]::attr(href)"))
    assert result.next_page == "http://e.org/news?page=1"


def test_inline_markup_is_flattened_and_invisible_text_dropped():
    html = """<div class="r"><h3>Tax &amp; <em>spend</em><script>evil()</script>
              <span>plan</span></h3><div class="s"><p>One <b>bold</b>
              word.</p><p> </p><p>Two&nbsp;words.</p></div></div>"""
    record = extract(html, "http://e.org/", Selectors(item="div.r", headline="h3", summary=".s")).records[0]
    assert record.headline == "Tax & spend plan"
    assert record.summary == "One bold word.\n\nTwo words."


@pytest.mark.parametrize(
    "bad",
    ["div[", "h3::attr(", "xpath://div[", "xpath:", "", "a:nth-child(x)"],
)
def test_bad_selectors_raise_a_clear_error(bad):
    with pytest.raises(SelectorError):
        compile_selector(bad)


@pytest.mark.parametrize(
    "href, expected",
    [
        ("/a/b?x=1#frag", "https://example.org/a/b?x=1"),
        ("HTTPS://Example.ORG:443/A", "https://example.org/A"),
        ("http://example.org:80/", "http://example.org/"),
        ("http://example.org:8080", "http://example.org:8080/"),
        ("/p?utm_source=x&id=3&fbclid=y", "https://example.org/p?id=3"),
        ("mailto:a@b.org", None),
        ("javascript:void(0)", None),
        ("#top", None),
        ("", None),
        ("ftp://example.org/file", None),
        ("//cdn.example.org/x", "https://cdn.example.org/x"),
        ("/story/42;jsessionid=A1B2C3?id=4", "https://example.org/story/42?id=4"),
        ("/story?PHPSESSID=abc&id=4", "https://example.org/story?id=4"),
    ],
)
def test_canonical_url(href, expected):
    assert canonical_url(href, "https://example.org/news") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-11-15", "2021-11-15"),
        ("2021-11-15T09:30:00Z", "2021-11-15T09:30:00+00:00"),
        ("15 November 2021", "2021-11-15"),
        ("Nov 15, 2021", "2021-11-15"),
        ("Monday, 15 November 2021 - 10:00", "2021-11-15T10:00:00"),
        ("15/11/2021", "2021-11-15"),
        ("Page 3", None),
        ("12", None),
        ("", None),
        (None, None),
        ("Read more", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_normalise_space_folds_every_kind_of_space():
    assert normalise_space(" a\u00a0\u2009b\n\tc\u200b ") == "a b c"


def test_garbage_html_never_raises():
    for html in ["", "<", "\x00\x01", "<html><body>" + "<div>" * 5000, b"\xff\xfe<\x00"]:
        assert extract(html, "http://e.org/", DRUPAL).records == []
    assert element_paragraphs(parse_html("<p>a</p><p>b</p>")) == ["a", "b"]


def test_xhtml_with_an_xml_declaration_is_parsed():
    html = '<?xml version="1.0" encoding="utf-8"?>\n' + Listing().render()
    assert len(extract(html, BASE, DRUPAL).records) == 10
