"""Extraction of records from a listing page: HTML in, records out.

Selectors are CSS (with Scrapy's `::attr(name)` and `::text`) or XPath
written as "xpath:EXPR".  They are compiled once per source and applied with
lxml directly: parsing dominates the cost of a crawl, so no second tree or
wrapper objects are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from parsel.csstranslator import HTMLTranslator

from scraper.items import Record, item_key
from scraper.text import canonical_url, element_paragraphs, element_text, normalise_space, parse_date, parse_html


class SelectorError(ValueError):
    """A selector that cannot be compiled; the message says why."""


@dataclass(frozen=True, slots=True)
class Selectors:
    """Where the parts of each block are, as written in the config."""

    item: str
    headline: str
    summary: str | None = None
    link: str | None = None
    date: str | None = None
    next_page: str | None = None


@dataclass(frozen=True, slots=True)
class Extraction:
    records: list[Record]
    next_page: str | None
    selectors: Selectors | None  # the selectors used (inferred ones for automatic detection)


_translator = HTMLTranslator()


@lru_cache(maxsize=1024)
def compile_selector(expr: str) -> etree.XPath:
    """Compile a CSS or "xpath:" selector; SelectorError names what is wrong."""
    expr = expr.strip()
    if not expr:
        raise SelectorError("empty selector")
    if expr.startswith("xpath:"):
        xpath = expr[len("xpath:"):].strip()
        if not xpath:
            raise SelectorError("empty XPath after 'xpath:'")
    else:
        try:
            xpath = _translator.css_to_xpath(expr)
        except Exception as exc:  # cssselect raises several unrelated types
            raise SelectorError(f"invalid CSS selector {expr!r}: {exc}") from None
    try:
        return etree.XPath(xpath, regexp=False, smart_strings=False)
    except etree.XPathSyntaxError as exc:
        raise SelectorError(f"invalid XPath {xpath!r}: {exc}") from None


def select(expr: str, node) -> list:
    """Apply a selector to a node: elements, or strings for ::attr/::text/@x."""
    try:
        result = compile_selector(expr)(node)
    except etree.XPathEvalError as exc:
        raise SelectorError(f"selector {expr!r} cannot be evaluated: {exc}") from None
    if isinstance(result, list):
        return result
    if isinstance(result, bool):
        return []
    return [str(result)]  # an XPath returning a number or a string


def extract(
    html: str | bytes,
    page_url: str,
    selectors: Selectors | None,
    source: str = "",
    start_position: int = 0,
) -> Extraction:
    """All records of one listing page, in page order.

    With `selectors` None the listing is found automatically.
    """
    root = parse_html(html, page_url)
    if selectors is None:
        from scraper.autodetect import detect

        selectors = detect(root, page_url)
        if selectors is None:
            return Extraction([], None, None)
    return extract_tree(root, page_url, selectors, source, start_position)


def extract_tree(root, page_url: str, selectors: Selectors, source: str = "", start_position: int = 0) -> Extraction:
    base_url = _base_url(root, page_url)
    page_canonical = canonical_url(page_url, page_url)
    records: list[Record] = []
    seen: set[str] = set()
    for block in select(selectors.item, root):
        if not isinstance(block, etree._Element):
            continue
        record = _record(block, selectors, base_url, page_canonical, source, start_position + len(records))
        if record is None:
            continue
        key = item_key(record.headline, record.url)
        if key in seen:  # the same item twice on one page (a featured copy)
            continue
        seen.add(key)
        records.append(record)
    next_page = None
    if selectors.next_page:
        for value in select(selectors.next_page, root):
            next_page = canonical_url(_href(value), base_url)
            if next_page:
                break
    return Extraction(records, next_page, selectors)


def _base_url(root, page_url: str) -> str:
    for href in root.xpath("//head/base/@href"):
        resolved = canonical_url(str(href), page_url)
        if resolved:
            return resolved
    return page_url


def _record(block, selectors: Selectors, base_url: str, page_url: str | None, source: str, position: int) -> Record | None:
    headline_nodes = select(selectors.headline, block)
    headline = normalise_space(" ".join(_text(node) for node in headline_nodes[:1]))
    if not headline:
        return None
    summary = ""
    if selectors.summary:
        paragraphs: list[str] = []
        for node in select(selectors.summary, block):
            paragraphs.extend(p for p in element_paragraphs(node) if p not in paragraphs)
        summary = "\n\n".join(paragraphs)
    if selectors.link:
        links = [canonical_url(_href(v), base_url) for v in select(selectors.link, block)]
    else:
        links = [canonical_url(href, base_url) for href in _default_links(block, headline_nodes)]
    url = next((u for u in links if u and u != page_url), None)
    published = None
    if selectors.date:
        published = next(filter(None, (_date(v) for v in select(selectors.date, block))), None)
    else:
        published = next(filter(None, (_date(v) for v in block.iter("time"))), None)
    return Record(source, headline, summary, url, published, position)


def _text(node) -> str:
    return element_text(node) if isinstance(node, etree._Element) else normalise_space(str(node))


def _href(value) -> str | None:
    if isinstance(value, etree._Element):
        href = value.get("href")
        if href is None:
            found = value.xpath(".//a/@href")
            href = found[0] if found else None
        return href
    return str(value)


def _default_links(block, headline_nodes: list) -> list[str]:
    """First link in the headline, else around it, else anywhere in the block."""
    hrefs: list[str] = []
    for node in headline_nodes[:1]:
        if isinstance(node, etree._Element):
            hrefs.extend(node.xpath("descendant-or-self::a/@href"))
            hrefs.extend(node.xpath("ancestor::a/@href")[-1:])
    hrefs.extend(block.xpath("descendant-or-self::a/@href"))
    return [str(h) for h in hrefs]


def _date(value) -> str | None:
    if isinstance(value, etree._Element):
        for attr in ("datetime", "content", "title"):
            parsed = parse_date(value.get(attr))
            if parsed:
                return parsed
        return parse_date(element_text(value))
    return parse_date(str(value))
