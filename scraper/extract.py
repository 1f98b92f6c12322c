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

from scraper.dates import MAX_DATE_TEXT, is_update_date, parse_date
from scraper.items import Record, item_key
from scraper.script_links import script_linked, without_script_rows
from scraper.markup import (
    BLOCK, element_paragraphs, element_text, is_hidden, local_tag, parse_html_checked, short_element_paragraphs,
)
from scraper.selectors import Selectors, select
from scraper.summary_text import without_read_on
from scraper.text import is_page_number, is_pager_text, normalise_space
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
            next_page = canonical_url(_href(value), base_url)
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
    headline, element = _headline(select(selectors.headline, block))
    if not headline or is_pager_text(headline):  # a listing's "More" row is no item
        return None
    summary = _summary(select(selectors.summary, block)) if selectors.summary else ""
    own_hrefs = _headline_links(element)
    if selectors.link:
        hrefs = [_href(v) for v in select(selectors.link, block)]
    else:  # first link in the headline, else around it, else anywhere in the block
        hrefs = own_hrefs + _links_in(block)
    links = absolute(hrefs)
    own = set(absolute(own_hrefs)) if own_hrefs else set()
    fragments = absolute.fragments(hrefs)
    if selectors.date:
        published = _published(select(selectors.date, block))
    else:
        published = next(filter(None, (_date(v) for v in block.iter("time"))), None)
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


def _headline(nodes: list) -> tuple[str, object]:
    """The headline's text and element: the first matching element with text
    (an empty heading, an icon, is no headline); for text-node selectors
    (`h3 ::text`) every matched text joined, so inline markup inside a
    headline does not cut it short."""
    if not nodes:
        return "", None
    if isinstance(nodes[0], etree._Element):
        for node in nodes:
            # A heading the page hides ("Press release" for screen readers) is no headline.
            text = element_text(node) if isinstance(node, etree._Element) and not is_hidden(node) else ""
            if text:
                return text, node
        return "", None
    texts = [n for n in nodes if not isinstance(n, etree._Element) and not _in_hidden(n)]
    if not texts:
        return "", None
    return " ".join(_paragraphs(texts)), _owner(texts[0])


def _summary(nodes: list) -> str:
    """Every paragraph of the matches, in order, each once, joined by a blank line; not
    the "Read more" link that ends them."""
    if len(nodes) == 1 and isinstance(nodes[0], etree._Element):  # the common case: one <p>
        return without_read_on("\n\n".join(dict.fromkeys(element_paragraphs(nodes[0]))), nodes)
    return without_read_on("\n\n".join(dict.fromkeys(_paragraphs(nodes))), nodes)


def _paragraphs(nodes: list) -> list[str]:
    """The paragraphs of selector results, in order.

    Elements give their paragraphs; text nodes (`p ::text`) are joined
    within the paragraph element they belong to, so inline markup does not
    split a paragraph.
    """
    paragraphs: list[str] = []
    pending: list[str] = []
    pending_block = None
    for node in nodes:
        if isinstance(node, etree._Element):
            paragraphs.append(normalise_space("".join(pending)))
            pending, pending_block = [], None
            paragraphs.extend(element_paragraphs(node))
            continue
        if _in_hidden(node):
            continue
        block = _paragraph_of(_owner(node))
        if block is not pending_block or block is None:
            paragraphs.append(normalise_space("".join(pending)))
            pending, pending_block = [], block
        pending.append(str(node))
    paragraphs.append(normalise_space("".join(pending)))
    return [p for p in paragraphs if p]


def _in_hidden(text) -> bool:
    """Whether a text selector result lies inside an element the page hides
    (`h3 ::text` also matches a "Read more about" screen-reader span)."""
    owner = _owner(text)
    if owner is None or getattr(text, "is_attribute", False):  # an attribute: asked for by name
        return False
    for element in (owner, *owner.iterancestors()):  # inline markup up to its paragraph, as element_text looks
        if is_hidden(element):
            return True
        if local_tag(element) in BLOCK:
            return False
    return False


def _paragraph_of(element):
    """The nearest block-level element around `element` (its paragraph)."""
    while element is not None and local_tag(element) not in BLOCK:
        element = element.getparent()
    return element


def _href(value) -> str | None:
    if isinstance(value, etree._Element):
        href = value.get("href")
        if href is None:
            # An element given as the link: the link inside it, else the one around it
            # (a card whose whole headline is wrapped in <a>).
            found = value.xpath(".//a/@href") or value.xpath("ancestor::a/@href")[-1:]
            href = str(found[0]) if found else None
        return href
    return str(value)


def _links_in(element) -> list[str]:
    """The href of every link in `element` (itself included), in page order."""
    return [href for href in (a.get("href") for a in element.iter("a")) if href is not None]


def _headline_links(element) -> list[str]:
    """The links in the headline element, then the one around it."""
    if element is None:
        return []
    hrefs = _links_in(element)
    for around in element.iterancestors("a"):  # nearest first
        href = around.get("href")
        if href is not None:
            hrefs.append(href)
            break
    return hrefs


def _owner(value):
    """The element a text or attribute selector result came from, if known."""
    getparent = getattr(value, "getparent", None)
    parent = getparent() if getparent else None
    if parent is not None and getattr(value, "is_tail", False):
        parent = parent.getparent()
    return parent


def _published(values: list) -> str | None:
    """The first date the date selector's results give, one labelled as an update
    ("Updated: ...") only when no other gives one: `published` is when the item
    was published.

    Read in page order and no further than needed: a result that gives no date
    (most, when the selector is a bare `div`) is not judged as an update, and
    its text is read only as far as a date can go; the first date not labelled
    an update ends the search."""
    fallback = None
    last = len(values) - 1
    for i, value in enumerate(values):
        if isinstance(value, etree._Element):
            parsed = _attribute_date(value)
            text = None  # read only if needed to judge an update
            if not parsed:
                # Read only as far as a date can go: a long text (a thread's whole
                # info box) parses as no date, and need not be read whole to learn that.
                paragraphs = short_element_paragraphs(value, MAX_DATE_TEXT)
                if paragraphs is None:
                    continue
                text = " ".join(paragraphs)
                parsed = parse_date(text)
                if not parsed:
                    continue
        else:
            text = str(value)
            parsed = parse_date(text)
            if not parsed:
                continue
        if i == last and fallback is None:  # the only date found: an update or not, it is the answer
            return parsed
        if text is None:
            text = element_text(value)
        if not is_update_date(text):
            return parsed
        fallback = fallback or parsed
    return fallback


def _attribute_date(element) -> str | None:
    """The date an element gives in its datetime, content or title attribute."""
    get = element.get
    for attr in ("datetime", "content", "title"):
        value = get(attr)
        if value:  # most elements have none of them: parse_date is not asked
            parsed = parse_date(value)
            if parsed:
                return parsed
    return None


def _date(value) -> str | None:
    """The date a <time> element gives: its datetime/content/title attribute, else its visible text."""
    parsed = _attribute_date(value)
    if parsed:
        return parsed
    # Read only as far as a date can go (see _published).
    paragraphs = short_element_paragraphs(value, MAX_DATE_TEXT)
    return parse_date(" ".join(paragraphs)) if paragraphs is not None else None
