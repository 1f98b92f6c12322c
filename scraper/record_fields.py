"""What a listing block's selector results give as a record's fields.

The headline and its element, the summary's paragraphs, the links (in the
headline, around it, anywhere in the block) and the published date, read from
what `scraper.selectors.select` returned: elements, text nodes or attribute
values.  scraper.extract turns these into records; this module only reads.
"""

from __future__ import annotations

from lxml import etree

from scraper.dates import MAX_DATE_TEXT, is_update_date, parse_date
from scraper.markup import BLOCK, element_paragraphs, element_text, is_hidden, local_tag, short_element_paragraphs
from scraper.summary_text import without_read_on
from scraper.text import normalise_space


def headline_of(nodes: list) -> tuple[str, object]:
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


def summary_of(nodes: list) -> str:
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


def href_of(value) -> str | None:
    if isinstance(value, etree._Element):
        href = value.get("href")
        if href is None:
            # An element given as the link: the link inside it, else the one around it
            # (a card whose whole headline is wrapped in <a>).
            found = value.xpath(".//a/@href") or value.xpath("ancestor::a/@href")[-1:]
            href = str(found[0]) if found else None
        return href
    return str(value)


def links_in(element) -> list[str]:
    """The href of every link in `element` (itself included), in page order."""
    return [href for href in (a.get("href") for a in element.iter("a")) if href is not None]


def headline_links(element) -> list[str]:
    """The links in the headline element, then the one around it."""
    if element is None:
        return []
    hrefs = links_in(element)
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


def published_of(values: list) -> str | None:
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


def time_date(value) -> str | None:
    """The date a <time> element gives: its datetime/content/title attribute, else its visible text."""
    parsed = _attribute_date(value)
    if parsed:
        return parsed
    # Read only as far as a date can go (see published_of).
    paragraphs = short_element_paragraphs(value, MAX_DATE_TEXT)
    return parse_date(" ".join(paragraphs)) if paragraphs is not None else None
