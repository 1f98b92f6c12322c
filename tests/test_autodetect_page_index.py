"""The page index answers whole-page selectors exactly as libxml2 does.

Detection's item-selector search asks scraper/autodetect/page_index.py, not
libxml2, what its candidate selectors pick (for speed); a single element
more or less, or another order, would change which item selector a page
gets.  So on real pages, every selector of the forms the search writes
(tag, tag.class, tag#id, #id, tag:nth-of-type(n), unions, "A B" and "A > B"
chains, paths from the nearest id) must give the very list scraper.selectors.select gives.
"""

from __future__ import annotations

import pytest
from lxml import etree

from scraper.autodetect.elements import CSS_IDENT, Paths, classes_of
from scraper.autodetect.anchors import anchors, placed_anchors
from scraper.autodetect.item_selector import path_selector
from scraper.autodetect.page_index import PageIndex
from scraper.markup import parse_html
from scraper.selectors import SelectorError, select
from tests.helpers import ROOT

PAGES = sorted((ROOT / "tests" / "corpus").glob("*.html"))[::3] + sorted((ROOT / "tests" / "corpus" / "web").glob("*.html"))[::6]


def _libxml2(expr: str, root) -> list | str:
    try:
        return [el for el in select(expr, root) if isinstance(el, etree._Element)]
    except SelectorError:
        return "invalid"


def _indexed(index: PageIndex, expr: str) -> list | str:
    try:
        return index.select(expr)
    except SelectorError:
        return "invalid"


def _selectors_around(el, paths: Paths) -> list[str]:
    """Selectors naming `el` as the item-selector search writes them."""
    tag = el.tag
    classes = [c for c in (el.get("class") or "").split() if CSS_IDENT.match(c)]
    names = [tag] + [f"{tag}.{c}" for c in classes[:2]] + ([tag + "".join("." + c for c in classes)] if classes else [])
    ident = el.get("id")
    if ident and CSS_IDENT.match(ident):
        names += [f"#{ident}", f"{tag}#{ident}"]
    parent = el.getparent()
    scoped = []
    if parent is not None:
        for anchor in anchors(parent)[:3]:
            scoped += [f"{anchor} {names[-1]}", f"{anchor} > {tag}"]
        # Boxes named by their place among their siblings ("section.box:nth-of-type(4) div.item"), alone and as a union.
        placed = placed_anchors(parent, limit=2)
        if placed:
            scoped += [placed[0]] + [f"{anchor} {names[-1]}" for anchor in placed] + [f"{placed[0]} > {tag}"]
            scoped.append(", ".join(f"{anchor} {tag}" for anchor in placed))
    path = path_selector(el, paths)
    unions = [f"{names[0]}, {names[-1]}"] + ([f"{path}, {tag}"] if path else [])
    return names + scoped + ([path] if path else []) + unions + [f"{c} {tag}" for c in classes_of(el)[:1]]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_index_picks_what_libxml2_picks(page):
    root = parse_html(page.read_bytes())
    index, paths = PageIndex(root), Paths()
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    checked = 0
    for el in elements[:: max(1, len(elements) // 100)]:
        for expr in _selectors_around(el, paths):
            assert _indexed(index, expr) == _libxml2(expr, root), expr
            checked += 1
    assert checked > 200


def test_class_words_split_only_at_xml_whitespace():
    # libxml2's normalize-space() splits at space, tab, CR and LF, not at a
    # no-break or em space: "a\u00a0b" is one word, "a\tb" two.
    root = parse_html(
        '<html><body><div id="m"><div class="a\u00a0b">1</div><div class="a\tb">2</div>'
        '<div class=" a\nb ">3</div><div class="ab">4</div><div class="a\u2003b c">5</div>'
        '<div id="m"><p class="a">6</p></div></div><p class="a">7</p></body></html>'
    )
    index = PageIndex(root)
    for expr in ("div.a", "div.b", "div.a.b", "div.c", "#m p.a", "#m > p.a", "div#m div", "p.a, div.a", "div div"):
        assert index.select(expr) == _libxml2(expr, root), expr
    assert [el.text for el in index.select("div.a")] == ["2", "3"]
