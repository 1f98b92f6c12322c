"""Where a block's headline is, by its look (stage 4's first question).

A heading with a link, else a heading, else the block's own link, else its
longest link; inside that, the part whose class names it the headline, or
the title box of a card link that wraps title, code, category and date
boxes.  The other fields are placed around what this finds.
"""

from __future__ import annotations

import re

from lxml import etree

from scraper.autodetect.elements import link_ancestor, tag_of
from scraper.autodetect.texts import SKIP_HREF, is_title_text, link_text_of, own_text, text_of, text_parts
from scraper.autodetect.headings import HEADINGS
from scraper.dates import parse_date
from scraper.script_links import script_linked

# A year or a numeric date somewhere in a text: worth trying to parse.  Bounded by
# "not a digit" rather than \b: in "2019年10月31日" the year touches a word character.
DATE_HINT = re.compile(r"(?<!\d)(1[89]|2[01])\d\d(?!\d)|(?<!\d)\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?!\d)")

_TITLE_CLASS = re.compile(r"headline|title|heading", re.I)
# A kicker above a headline, by the names sites give it ("Dachzeile", "surtitre", "occhiello"...).
_KICKER = (r"kicker|eyebrow|overline|rubric|topic|dachzeile|roofline|supertitle|pretitle|pre-title|"
           r"surtitre|antetitulo|occhiello")
_NOT_TITLE_CLASS = re.compile(rf"{_KICKER}|label|category|tag|date|time|container|wrap", re.I)


def headline_node(block):
    """Where a block's headline is; inside it, the part named as the headline (or the title box of a card link)."""
    head = headline_element(block)
    if head is None:
        return None
    text = text_of(head)
    for el in head.iterdescendants():
        names = el.get("class") or ""
        if _TITLE_CLASS.search(names) and not _NOT_TITLE_CLASS.search(names):
            inner = text_of(el)
            if len(inner) >= 10 and inner != text and not _is_date_line(inner):
                return el
    if tag_of(head) == "a":
        part = _title_part(head)
        if part is not None:
            return part
    elif tag_of(head) in HEADINGS:
        part = _headline_after_kicker(head)
        if part is not None:
            return part
    return head


def _headline_after_kicker(heading):
    """The headline part of a heading (or of the one link it holds) made of a kicker and
    the headline, unnamed parts both: <h3><a><span>Ukraine:</span> <span>Grain ships leave
    Odesa</span></a></h3>.  None unless the first part reads as a kicker of the second."""
    inner = heading
    if not own_text(heading) and len(heading) == 1 and tag_of(heading[0]) == "a":
        inner = heading[0]
    if own_text(inner):
        return None
    parts = text_parts(inner)
    if len(parts) != 2 or not _may_be_title(parts[1]):
        return None
    return parts[1] if _kicker_before(text_of(parts[0]), parts[1]) else None


_META_CLASS = re.compile(rf"{_KICKER}|label|categor|tag|date|time|author|byline|meta|read|count|number|price|venue|place", re.I)
_READING_TIME = re.compile(r"^\d+\s*(min|minute|mins|minutes)\b", re.I)


def _title_part(link):
    """The title inside a card link that wraps title, number, category, author or date boxes.

    Each box is a child of its own with text (<a><div>ROTOR,GENERATOR</div>
    <div>SPE4A516R0526</div><div>16 -- Aircraft components</div></a>); the
    title is the first that is no date, reading time, code or box named as
    metadata (kicker, category, author, date).  None when the link is one run of text.
    """
    if own_text(link):
        return None
    parts = _card_parts(link)
    if len(parts) < 2:
        return None
    titles = [part for part in parts if _may_be_title(part)]
    if not titles:
        return None
    if len(titles) > 1 and _kicker_before(text_of(titles[0]), titles[1]):
        return titles[1]
    return titles[0]


def _card_parts(link) -> list:
    """The boxes with text inside a card link, through a wrapper or two that hold
    them all (<a><div><div>title</div><div>teaser</div><div>date</div></div></a>).
    Inside a wrapper only block boxes count: spans there are the words of one
    line (<p><span>Emily</span> <span>Maynard</span></p>)."""
    parts = text_parts(link)
    for _ in range(2):
        if len(parts) != 1 or own_text(parts[0]):
            return parts
        inner = text_parts(parts[0])
        if not all(tag_of(c) in _BLOCK_TAGS for c in inner) and not _line_of_boxes(inner):
            return parts
        parts = inner
    return parts


def _line_of_boxes(parts: list) -> bool:
    """Whether inline parts are a card's boxes set in one line (title, author, date, reading
    time: <span>Title</span><span>Jane Doe</span><span>May 3, 2024</span>), not the words of
    one text: one of them is a date or a reading time, and one other reads as a title."""
    if len(parts) < 2:
        return False
    meta = [p for p in parts if _is_date_line(text_of(p)) or _READING_TIME.match(text_of(p))]
    return bool(meta) and len(meta) < len(parts) and any(is_title_text(text_of(p)) for p in parts if p not in meta)


_BLOCK_TAGS = frozenset({"div", "p", "section", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "figure"})


def _is_date_line(text: str) -> bool:
    """Whether a text is a date line ("PRESS RELEASE | APRIL 10, 2019", "News | 05 September
    2019"): it parses as a date (short, holding one).  By its text only: a class name says
    too little ("thread-title" holds "read")."""
    return DATE_HINT.search(text) is not None and parse_date(text) is not None


def _may_be_title(part) -> bool:
    text = text_of(part)
    if _META_CLASS.search(part.get("class") or "") or _READING_TIME.match(text):
        return False
    if not any(ch.isalpha() for ch in text) or (DATE_HINT.search(text) and parse_date(text)):
        return False
    return len(text) >= 3


# A word or three starting with a letter, no list or code ("Exclusive", "Covid-19:",
# "War and Peace"; not "15--COVER,ACCESS").
_KICKER_TEXT = re.compile(r"[^\W\d_][\w'’&./ -]*:?")
_TEASER_CLASS = re.compile(r"summary|teaser|excerpt|desc|dek|intro|lead(?!ing)|standfirst|abstract|snippet", re.I)


def _kicker_before(first: str, part) -> bool:
    """Whether `first` is a kicker above the headline in `part` ("Ukraine:", "War and
    Peace" above the story's title), not a short title above its details or its
    teaser: a few words, then a headline-like text at least twice as long that
    reads as a headline (no final full stop, not named as a teaser)."""
    second = text_of(part)
    return (first.count(" ") <= 2 and len(first) < 30 and _KICKER_TEXT.fullmatch(first) is not None
            and is_title_text(second)
            and 2 * len(first) <= len(second) <= 140 and not second.endswith(".")
            and not _TEASER_CLASS.search(class_names(part)))


def class_names(el) -> str:
    """An element's class names without utility-CSS variants: "group-hover/teaser:text-brand"
    styles the text when a teaser is hovered; it names no teaser."""
    return " ".join(name.rsplit(":", 1)[-1] for name in (el.get("class") or "").split())


def headline_element(block):
    """A heading with a link, a heading, the block's own link, the longest link (the
    whole of it: no part inside it chosen yet)."""
    tag = tag_of(block)
    if tag in HEADINGS:
        return block
    heads = [h for h in block.iter(*HEADINGS) if text_of(h)]
    if heads:
        linked = [h for h in heads if h.find(".//a[@href]") is not None or link_ancestor(h, block) is not None]
        pool = linked or heads
        if not linked and _dates_beside_a_title_link(pool, block):
            pool = []  # <h5>Publié le 18 avril 2021 ...</h5> under the title link: the link is the headline
    if heads and pool:
        if len(pool) > 1:  # a heading that is a date line ("News | 05 September 2019") is no title
            pool = [h for h in pool if not _is_date_line(text_of(h))] or pool
        rank = min(tag_of(h) for h in pool)
        return next(h for h in pool if tag_of(h) == rank)
    if tag == "a":
        return block
    best, best_len = None, 0
    for a in block.iter("a"):
        if a.get("href") is None or (SKIP_HREF.match(a.get("href")) and not script_linked([a.get("href")])):
            continue  # a title linked to a script is still the row's title (not the category link before it)
        length = len(link_text_of(a))
        if length > best_len:
            best, best_len = a, length
    if best is not None:
        return best
    for el in block.iter():
        if re.search(r"title|headline", el.get("class") or "", re.I) and text_of(el):
            return el
    return None


def _dates_beside_a_title_link(headings: list, block) -> bool:
    """Whether a block's unlinked headings are all date lines ("Publié le 18 avril 2021 dans
    les catégories : ...", styled as an <h5>) while a link of the block reads as a title:
    the date line is set as a heading for its look; the title is the link."""
    if not all(_is_date_line(text_of(h)) for h in headings):
        return False
    return any(is_title_text(link_text_of(a)) for a in block.iter("a") if a.get("href"))


def link_of_headline(links: list, head) -> etree._Element | None:
    """The link whose text is the unlinked headline's, or its whole where the shown headline
    is cut with "…" (a teaser's overlay link holds the full title), rather than the first
    related-story link before it; None if none."""
    if head is None:
        return None
    shown = text_of(head)
    stem = shown.rstrip("…. ").strip() if shown.endswith(("…", "...")) else None
    for a in links:
        text = link_text_of(a)
        if text and (text == shown or (stem and len(stem) >= 12 and text.startswith(stem))):
            return a
    return None
