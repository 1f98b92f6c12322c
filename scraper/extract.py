"""Extraction of records from a listing page: HTML in, records out.

Selectors are CSS (with Scrapy's `::attr(name)` and `::text`) or XPath
written as "xpath:EXPR".  They are compiled once per source and applied with
lxml directly: parsing dominates the cost of a crawl, so no second tree or
wrapper objects are built.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

from lxml import etree

from scraper.items import Record, item_key
from scraper.record_fields import (
    headline_links, headline_of, href_of, links_in, published_of, summary_of, time_date,
)
from scraper.script_links import script_linked, without_script_rows
from scraper.markup import parse_html_checked
from scraper.selectors import Selectors, select
from scraper.text import is_page_number, is_pager_text
from scraper.urls import canonical_url


@dataclass(frozen=True, slots=True)
class Extraction:
    records: list[Record]
    next_page: str | None
    selectors: Selectors | None  # the selectors used (inferred ones for automatic detection)
    problem: str | None = None  # why the page could not be read whole (records then untrustworthy)
    # Automatic detection's answer when it chose the selectors (a
    # scraper.autodetect.Detection: confidence, reasons, runner-up), else None.
    detection: object | None = None


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
    root, problem = parse_html_checked(html, page_url)
    if problem:
        return Extraction([], None, selectors, problem)
    if selectors is None:
        from scraper.autodetect import detect_listing  # on first use: pinned selectors never pay its import

        found = detect_listing(root, page_url)
        if found is None:
            return Extraction([], None, None)
        result = extract_tree(root, page_url, found.selectors, source, start_position, found.blocks,
                              drop_script_rows=True)
        return replace(result, detection=found)
    return extract_tree(root, page_url, selectors, source, start_position)


def extract_tree(
    root: etree._Element, page_url: str, selectors: Selectors, source: str = "", start_position: int = 0,
    blocks: list | None = None, drop_script_rows: bool = False,
) -> Extraction:
    """Records of a parsed page; `blocks`, if given, are what `selectors.item` selects in it.

    `drop_script_rows` (automatic detection only) leaves out rows whose title
    links to a script when other rows lead to pages (scraper.script_links);
    pinned selectors keep every row they select, a script link read as none."""
    base_url = _base_url(root, page_url)
    page_canonical = canonical_url(page_url, page_url)
    if blocks is None:
        blocks = select(selectors.item, root)
    blocks = [b for b in blocks if isinstance(b, etree._Element)]
    absolute = _Resolver(base_url, page_canonical)
    drafts = _without_page_numbers([d for d in (_record(b, selectors, absolute) for b in blocks) if d is not None], page_canonical)
    shared = _shared_links(drafts)
    chosen = [next((u for u in links if u in own or u not in shared), None) for _, _, links, own, *_ in drafts]
    if drop_script_rows:
        drafts, chosen = without_script_rows(drafts, chosen)
    anchored = _anchored(drafts, chosen)
    records: list[Record] = []
    seen: set[str] = set()
    for (headline, summary, links, own, published, fragments, _script), url in zip(drafts, chosen):
        if url in anchored and fragments.get(url):
            url = f"{url}#{fragments[url]}"  # one page, one anchor per story: the anchor tells them apart
        key = item_key(headline, url)
        # The same item twice on one page (a featured copy), perhaps linked once
        # with a trailing slash and once without.
        twin = (headline.casefold(), url.rstrip("/")) if url else key
        if key in seen or twin in seen:
            continue
        seen.update((key, twin))
        records.append(Record(source, headline, summary, url, published, start_position + len(records)))
    next_page = None
    if selectors.next_page:
        for value in select(selectors.next_page, root):
            next_page = canonical_url(href_of(value), base_url)
            if next_page:
                break
    return Extraction(records, next_page, selectors)


def _without_page_numbers(drafts: list[tuple], page_url: str | None) -> list[tuple]:
    """The drafts less rows whose headline is a bare page number ("1", "2")
    leading to another page of this very listing (the page's own path, another
    query): the row of page links below a forum's threads, built like a thread
    row, is the listing's pager, not an item."""
    numbers = [d for d in drafts if len(d[0]) <= 9 and is_page_number(d[0])]  # short headlines only: cheap
    own_path = _without_query(page_url) if numbers else ""
    if not own_path:
        return drafts
    pager = {id(d) for d in numbers if d[2] and all(_same_listing(_without_query(u), own_path) for u in d[2])}
    return [d for d in drafts if id(d) not in pager] if pager else drafts


def _same_listing(path: str, own_path: str) -> bool:
    """Whether a link leads to another page of the listing at `own_path`: the same
    path (another query: "?start=15"), a numbered sibling file ("index.html" ->
    "index_1.html", static sites' pagers) or a numbered page below it ("/news/page/2/")."""
    if path == own_path:
        return True
    head, _, name = own_path.rpartition("/")
    other_head, _, other_name = path.rpartition("/")
    if head == other_head and name and _NUMBERED.sub("", other_name) == name:
        return True
    return _PAGE_BELOW.fullmatch(path[len(own_path):]) is not None if path.startswith(own_path.rstrip("/") + "/") else False


_NUMBERED = re.compile(r"[_-]\d+(?=\.\w+$|$)")  # "index_1.html" -> "index.html"
_PAGE_BELOW = re.compile(r"/?(?:page/)?\d+/?")  # "/news/" -> "/news/page/2/", "/news/2/"


def _without_query(url: str | None) -> str:
    return url.split("#")[0].split("?")[0] if url else ""


def _anchored(drafts: list[tuple], chosen: list[str | None]) -> set[str]:
    """Links that blocks with different headlines take as their own and reach
    at different `#fragment`s (a press page with an anchor per story): their
    items are told apart by the fragment, instead of collapsing into one."""
    by_link: dict[str, set[tuple[str, str]]] = {}
    for draft, url in zip(drafts, chosen):
        if url:
            by_link.setdefault(url, set()).add((draft[0].casefold(), draft[5].get(url, "")))
    return {url for url, pairs in by_link.items()
            if len({h for h, _ in pairs}) > 1 and len({f for _, f in pairs if f}) > 1}


def _shared_links(drafts: list[tuple]) -> set[str]:
    """Links that blocks with different headlines share (a category or
    "all news" link): not an item's own link, so never its identity, unless
    it is the headline's link (a featured copy of a story under another title).

    Without this, every block whose first link is the same tag link would
    collapse into one item.
    """
    first: dict[str, str] = {}  # link -> the first headline seen with it
    shared: set[str] = set()
    for headline, _summary, links, *_ in drafts:
        name = headline.casefold()
        for url in links:  # each once already
            seen = first.setdefault(url, name)
            if seen != name:
                shared.add(url)
    return shared


def _base_url(root, page_url: str) -> str:
    """The page's <base href> (that of //head/base), else the page's own URL."""
    # libxml2 walks the page for <base> elements only; "//head/base/@href" built
    # a node-set of every node first (and root.xpath compiled it on every call).
    for base in root.iter("base"):
        href = base.get("href")
        if href is None or base.getparent() is None or base.getparent().tag != "head":
            continue
        resolved = canonical_url(href, page_url)
        if resolved:
            return resolved
    return page_url


def _record(block, selectors: Selectors, absolute: "_Resolver") -> tuple | None:
    """(headline, summary, candidate links in order of preference, the headline's
    own links, published, each link's first #fragment, whether the headline's
    links are all `javascript:` ones) of a block."""
    headline, element = headline_of(select(selectors.headline, block))
    if not headline or is_pager_text(headline):  # a listing's "More" row is no item
        return None
    summary = summary_of(select(selectors.summary, block)) if selectors.summary else ""
    own_hrefs = headline_links(element)
    if selectors.link:
        hrefs = [href_of(v) for v in select(selectors.link, block)]
    else:  # first link in the headline, else around it, else anywhere in the block
        hrefs = own_hrefs + links_in(block)
    links = absolute(hrefs)
    own = set(absolute(own_hrefs)) if own_hrefs else set()
    fragments = absolute.fragments(hrefs)
    if selectors.date:
        published = published_of(select(selectors.date, block))
    else:
        published = next(filter(None, (time_date(v) for v in block.iter("time"))), None)
    return headline, summary, links, own, published, fragments, script_linked(own_hrefs)


class _Resolver:
    """Canonical links of one page, each href resolved once (a block links its
    story two or three times: headline, image, "read more")."""

    __slots__ = ("base_url", "page_url", "known")

    def __init__(self, base_url: str, page_url: str | None) -> None:
        self.base_url, self.page_url, self.known = base_url, page_url, {}

    def __call__(self, hrefs: list) -> list[str]:
        """Canonical links, each once, in order; not the page itself."""
        known, found = self.known, {}
        for href in hrefs:
            url = known.get(href, _UNSEEN)
            if url is _UNSEEN:
                url = known[href] = canonical_url(href, self.base_url)
            if url and url != self.page_url:
                found[url] = None
        return list(found)


    def fragments(self, hrefs: list) -> dict[str, str]:
        """The first non-empty `#fragment` each canonical link was written with (canonical links have none)."""
        found: dict[str, str] = {}
        for href in hrefs:
            if not href or "#" not in href:
                continue
            fragment = _fragment(href)
            url = self.known.get(href) or canonical_url(href, self.base_url)
            if url and fragment:
                found.setdefault(url, fragment)
        return found


def _fragment(href: str) -> str:
    """A link's fragment, escaped as a browser would send it ("" for none or one that is not text)."""
    text = href.split("#", 1)[1].strip()
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return ""
    return quote(unquote(text), safe="!$&'()*+,;=:@/?-._~")


_UNSEEN = object()
