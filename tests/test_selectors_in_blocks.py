"""Relative selectors applied inside a block pick what libxml2 picks.

Extraction applies each field's selector to every block; chains of simple
compounds one of which names classes only (".summary p", ".meta > span.date")
are answered in Python inside the block (scraper/selectors.py) rather than by
an XPath run per block and field.  An element more or less, or another order, would
change a record, so on real pages every such chain, written from the
elements around a block's descendants, must give the very list the XPath
cssselect writes for it gives.
"""

from __future__ import annotations

import pytest

from scraper.markup import parse_html
from scraper.selectors import _chain, compile_selector, select
from tests.helpers import ROOT

PAGES = sorted((ROOT / "tests" / "corpus").glob("*.html"))[::2] + sorted((ROOT / "tests" / "corpus" / "web").glob("*.html"))[::4]


def _compound(el, with_tag: bool = True) -> str:
    classes = [c for c in (el.get("class") or "").split() if c.replace("-", "").replace("_", "").isalnum() and c[0].isalpha()]
    tag = el.tag if with_tag else ""
    return tag + "".join("." + c for c in classes[:2]) if (tag or classes) else el.tag


def _chains_for(el, block) -> list[str]:
    """Chains naming `el` from its ancestors up to the block, as people and detection write them."""
    parent = el.getparent()
    grand = parent.getparent() if parent is not None and parent is not block else None
    found = [f"{_compound(parent)} {el.tag}", f"{_compound(parent)} > {el.tag}", f"{_compound(parent, False)} {_compound(el)}",
             f"{_compound(block)} {el.tag}", f"{_compound(block)} > {_compound(el)}", f"{_compound(block, False)} > {el.tag}"]
    if grand is not None:
        found += [f"{_compound(grand)} {_compound(parent)} {el.tag}", f"{_compound(grand)} > {_compound(parent)} > {el.tag}",
                  f"{_compound(grand)} {el.tag}", f"{_compound(grand, False)} > {_compound(parent)} {el.tag}",
                  f"{_compound(block)} {_compound(grand)} > {el.tag}", f"{grand.tag} {grand.tag} {el.tag}"]
    return [c for c in found if _chain(c) is not None]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_chains_inside_a_block_pick_what_libxml2_picks(page):
    root = parse_html(page.read_bytes())
    elements = [el for el in root.iter() if isinstance(el.tag, str) and el.tag.isalnum() and el.tag.islower()]
    checked = 0
    for blocks, per_block in ((elements[:: max(1, len(elements) // 60)], 8), (elements, 40)):
        if checked >= 30:
            break  # a small page with few classed elements is read whole (the second pass)
        for block in blocks:
            if block.getparent() is None:
                continue
            inside = [el for el in block.iterdescendants() if isinstance(el.tag, str) and el.tag.isalnum() and el.tag.islower()]
            for el in inside[:: max(1, len(inside) // per_block)]:
                for expr in _chains_for(el, block):
                    assert select(expr, block) == compile_selector(expr)(block), expr
                    checked += 1
    assert checked >= 30  # not a vacuous pass


def test_a_child_step_may_need_a_farther_ancestor():
    # "div.a > span b": the <b>'s nearest <span> is not a child of div.a, a farther one is.
    root = parse_html('<html><body><section><div class="a"><span><i><span><b>x</b></span></i></span></div>'
                      '<div class="b"><span><b>y</b></span></div></section></body></html>')
    block = root.find(".//section")
    for expr in (".a > span b", ".a > span > b", ".a b", "section .b b", "section > .b > span > b", "div .a span b"):
        assert _chain(expr) is not None, expr
        assert select(expr, block) == compile_selector(expr)(block), expr
    assert [el.text for el in select(".a > span b", block)] == ["x"]
    assert [el.text for el in select("section > .b > span > b", block)] == ["y"]


def test_a_chain_starts_inside_the_block():
    # Relative to the block: "section .b span" finds nothing in div.b, although div.b lies in a section.
    root = parse_html('<html><body><section><div class="b"><p class="b"><span>z</span></p></div></section></body></html>')
    block = root.find(".//div")
    for expr in ("section .b span", ".b span", ".b > .b > span", "div .b span"):
        assert select(expr, block) == compile_selector(expr)(block), expr
    assert select("section .b span", block) == []
    assert [el.text for el in select(".b > .b > span", block)] == ["z"]


def test_a_chain_through_deep_nesting_picks_what_libxml2_picks():
    # A pinned summary selector whose class the rows lack (a stale class after a
    # redesign) over rows of 60 nested divs: every ancestor is tried for every
    # step, so the answer must be remembered as it is climbed (it once took
    # seconds a row); where the class is there, the same elements as libxml2.
    nested = "<div><span>x</span>" * 60 + "</div>" * 60
    root = parse_html(f'<html><body><ul><li class="item"><section class="meta">{nested}</section></li>'
                      f'<li class="item"><section>{nested}</section></li></ul></body></html>')
    for block in root.iter("li"):
        for expr in (".gone div div span", ".gone div span", ".meta div div span", ".meta > div div > span",
                     "section .gone span", ".meta div > div > span"):
            assert _chain(expr) is not None, expr
            assert select(expr, block) == compile_selector(expr)(block), expr
    first = root.find(".//li")
    assert len(select(".meta div div span", first)) == 59
    assert select(".gone div div span", first) == []
