"""Automatic detection on listing styles outside tests/corpus.

Pages in tests/fixtures/unseen/ were written, after the corpus, in the style of
real sites: a WordPress category archive, a Bootstrap card grid whose links
all read "Read more", a definition-list press list, releases whose headline
is a <strong> link, a section with a big "most read" sidebar, and a
newspaper front with several sections, and a table of releases above a
site map of 32 long links that is not marked up as a <footer>.  Each must give exactly its
headlines and links, and its emitted selectors must reproduce the records.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.config import parse_config, source_toml
from scraper.extract import extract
from tests.helpers import Page, tidings, write_config

PAGES = Path(__file__).parent / "fixtures" / "unseen"
BASE = "https://site.example"

WP = [
    ("Otters return to the upper Wye after forty years", "https://greenrivers.example/2024/03/otters-return-to-the-upper-wye/"),
    ("Farmers sign buffer-strip pledge for cleaner streams", "https://greenrivers.example/2024/03/farmers-sign-buffer-strip-pledge/"),
    ("Winter bird survey: dippers up, kingfishers steady", "https://greenrivers.example/2024/02/winter-bird-survey-results/"),
    ("New fish pass opens at Hay weir", "https://greenrivers.example/2024/02/new-fish-pass-opens-at-hay/"),
]
CARDS = [
    ("Library hours extended over the summer holidays", f"{BASE}/news/library-hours-extended"),
    ("Road resurfacing on the A614 begins Monday", f"{BASE}/news/a614-resurfacing"),
    ("Council approves new cycle lanes for the town centre", f"{BASE}/news/cycle-lanes-approved"),
    ("Free swimming for under-16s this August", f"{BASE}/news/free-swimming-august"),
    ("Consultation opens on parking charges", f"{BASE}/news/parking-consultation"),
    ("Mayor opens refurbished market hall", f"{BASE}/news/market-hall-reopens"),
]
DL = [
    ("New national rail timetable to take effect in June", f"{BASE}/en/press/2024/0418-rail-timetable"),
    ("Grants for 5,000 public electric-vehicle chargers awarded", f"{BASE}/en/press/2024/0411-ev-chargers"),
    ("Inspection of motorway bridges completed ahead of schedule", f"{BASE}/en/press/2024/0403-bridge-inspection"),
    ("Minister announces review of urban speed limits", f"{BASE}/en/press/2024/0327-speed-limits"),
    ("Tender launched for island ferry services", f"{BASE}/en/press/2024/0320-ferry-tender"),
]
STRONG = [
    ("Harbour dredging works to start in May", f"{BASE}/media/2024/harbour-dredging.aspx"),
    ("Record cruise season expected this year", f"{BASE}/media/2024/cruise-season.aspx"),
    ("Two new pilot boats join the fleet", f"{BASE}/media/2024/new-pilot-boats.aspx"),
    ("Port authority publishes annual results", f"{BASE}/media/2024/annual-results.aspx"),
    ("Shore power trial at the ferry terminal", f"{BASE}/media/2024/shore-power.aspx"),
]
MOST_READ = [
    ("Comet will be visible to the naked eye next week", f"{BASE}/science/2024/may/02/comet-visible"),
    ("Wild bee numbers fall for third year", f"{BASE}/science/2024/may/01/bee-decline"),
    ("Fusion reactor sets new energy record", f"{BASE}/science/2024/apr/30/fusion-record"),
    ("Ancient DNA rewrites story of early farmers", f"{BASE}/science/2024/apr/29/ancient-dna"),
]
FRONT_PATHS = [
    ("Heatwave breaks records across southern Europe", "jun/03/heatwave-records"),
    ("Fourth mass coral bleaching event confirmed", "jun/02/coral-bleaching"),
    ("Plastic treaty talks stall over production caps", "jun/01/plastic-treaty"),
    ("Satellites reveal huge methane leaks from landfill", "may/31/methane-leaks"),
    ("World has five years of carbon budget left", "may/30/carbon-budget"),
    ("Heat pump sales double in a year", "may/29/heat-pumps"),
    ("Lynx reintroduction plan gets go-ahead", "may/28/lynx"),
    ("Hedgehog numbers recover in cities", "may/27/hedgehogs"),
]
FRONT = [(h, f"{BASE}/environment/2024/{p}") for h, p in FRONT_PATHS]

SITEMAP = [
    ("Agency publishes annual report on air quality in cities", f"{BASE}/news/air-quality-report"),
    ("New rules for drinking water testing come into force", f"{BASE}/news/drinking-water-rules"),
    ("Public consultation on noise mapping opens", f"{BASE}/news/noise-mapping-consultation"),
    ("Agency director appointed to European board", f"{BASE}/news/director-appointed"),
    ("Flood warning service adds text alerts", f"{BASE}/news/flood-text-alerts"),
]

EXPECTED = {
    "sitemap.html": SITEMAP,  # a 5-row table above a 32-link site map that is not in <footer>
    "wp.html": WP,
    "cards.html": CARDS,
    "dl.html": DL,
    "strong.html": STRONG,
    "mostread.html": MOST_READ,
    "front.html": FRONT,
}


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detection_finds_exactly_the_listing(name):
    result = extract(page(name), f"{BASE}/{name}", None, source="s")
    assert [(r.headline, r.url) for r in result.records] == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_emitted_selectors_reproduce_the_records(name):
    assert_emitted_selectors_reproduce(page(name), f"{BASE}/{name}")


def assert_emitted_selectors_reproduce(html: str, url: str) -> None:
    """The selectors detection infers, written as a [[source]] and read back, give the same records."""
    automatic = extract(html, url, None, source="s")
    source = parse_config(tomllib.loads(source_toml("s", url, automatic.selectors)), "e.toml").sources[0]
    assert extract(html, url, source.selectors, source="s").records == automatic.records


def test_card_grid_with_read_more_links_gets_summary_and_date():
    """Bootstrap cards: the <h5> title is no link, the only link reads "Read more"."""
    records = extract(page("cards.html"), f"{BASE}/news", None).records
    assert records[0].summary == "All branch libraries will open until 8pm from 22 July."
    assert [r.published for r in records[:2]] == ["2024-07-15", "2024-07-12"]


def test_strong_link_releases_get_the_paragraph_after_the_headline():
    records = extract(page("strong.html"), f"{BASE}/media", None).records
    assert records[0].summary == "Dredging will deepen the main channel to 12 metres for larger vessels."
    assert records[-1].summary == "Ferries will plug in at berth instead of running engines."
    assert records[0].published == "2024-04-23"


def test_article_section_headings_are_no_listing():
    """The heading fallback needs links around the headings: an article's own sections are not items."""
    html = (
        "<html><body><main><article><h1>Annual report of the water convention</h1>"
        + "".join(f"<h2>Section number {i} of the report</h2><p>Body text of section {i}.</p>" for i in range(5))
        + "</article></main></body></html>"
    )
    assert extract(html, f"{BASE}/report", None).records == []


def test_preview_emit_config_on_a_card_grid_round_trips(site, tmp_path):
    site.pages["/newsroom"] = Page(page("cards.html"))
    url = site.url("/newsroom")
    emitted = tidings("preview", url, "--emit-config", cwd=tmp_path)
    assert emitted.code == 0, emitted.stderr
    assert emitted.stdout.startswith(f"# 6 items found by automatic detection on {url}\n")
    config = tmp_path / "tidings.toml"
    config.write_text(write_config(tmp_path / "base.toml", []).read_text() + "\n" + emitted.stdout, encoding="utf-8")
    pinned = tidings("preview", "--source", "127-0-0-1-newsroom", "--json", "--config", str(config), cwd=tmp_path)
    automatic = tidings("preview", url, "--json", cwd=tmp_path)
    assert pinned.code == 0 and automatic.code == 0, pinned.stderr + automatic.stderr
    assert [r["headline"] for r in pinned.json] == [h for h, _ in CARDS]
    assert pinned.json == automatic.json


def test_table_listing_above_a_big_site_map_keeps_its_dates():
    records = extract(page("sitemap.html"), f"{BASE}/news", None).records
    assert [r.published for r in records] == ["2024-03-12", "2024-03-05", "2024-02-28", "2024-02-20", "2024-02-14"]


def test_teaser_written_straight_into_the_block_is_the_summary():
    """<dd><a>headline</a><br>teaser</dd>: the teaser is no element of its own."""
    records = extract(page("dl.html"), f"{BASE}/press", None).records
    assert [r.summary for r in records[:2]] == [
        "The timetable adds 140 daily services on regional lines.",
        "Municipalities in all provinces will receive funding.",
    ]


def test_faq_headings_sharing_one_link_are_no_listing():
    """Heading clues need blocks that lead to pages of their own, as a card grid's do."""
    faq = "".join(
        f"<div class='faq'><h3>How do I apply for permit type {i}?</h3>"
        f"<p>Fill in the form and <a href='/apply'>apply online</a> within 30 days.</p></div>"
        for i in range(5)
    )
    html = f"<html><body><main><h1>Permits: questions and answers</h1>{faq}</main></body></html>"
    assert extract(html, f"{BASE}/faq", None).records == []


def test_date_written_straight_into_the_block_is_found():
    """<li><a>headline</a> (12/03/2024)</li>: the date is no element of its own."""
    titles = ["Council sets budget for the coming financial year", "New bus routes announced for the northern suburbs",
              "Work starts on the riverside flood defences", "Library card holders get free museum entry"]
    html = "<html><body><div id='content'><ul>" + "".join(
        f"<li><a href='/p/{i}'>{t}</a> ({i + 10}/03/2024)</li>" for i, t in enumerate(titles)
    ) + "</ul></div></body></html>"
    url = f"{BASE}/news"
    result = extract(html, url, None)
    assert [(r.headline, r.published) for r in result.records] == [
        (t, f"2024-03-{i + 10}") for i, t in enumerate(titles)
    ]
    source = parse_config(tomllib.loads(source_toml("s", url, result.selectors)), "e.toml").sources[0]
    assert extract(html, url, source.selectors).records == result.records
