"""What detection reads of an element's text and links.

Its visible text (paragraphs, remembered for one detection in `TEXTS`), the
text of a link (all the text inside it, remembered in `LINK_TEXTS`), whether
that text reads as a story's title, and the first link an element holds.
Every stage asks again about the same elements, so the reads are remembered
for the duration of one detection (scraper.autodetect.listing sets the memos).
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from lxml import etree

from scraper.markup import element_paragraphs, short_element_paragraphs, string_value
from scraper.text import is_navigation_text, normalise_space


_RELATIVE_TIME = re.compile(r"^(about |an? |\d+ )\w+ ago$|^(yesterday|today)\b", re.I)
SKIP_HREF = re.compile(r"^\s*(#|javascript:|mailto:|tel:)", re.I)


TEXTS: ContextVar[dict | None] = ContextVar("tidings_autodetect_texts", default=None)


def remembered(memo_var: ContextVar, el, read):
    """`read(el)`, remembered in the detection's memo `memo_var` (none outside a detection)."""
    memo = memo_var.get()
    if memo is None:
        return read(el)
    found = memo.get(el)
    if found is None:
        found = memo[el] = read(el)
    return found


def paragraphs_of(el) -> list[str]:
    """element_paragraphs, remembered for the duration of one detection."""
    return remembered(TEXTS, el, element_paragraphs)


def short_text_of(el: etree._Element, limit: int) -> str | None:
    """text_of, or None when the text is sure to be longer than `limit` characters
    (then it is not read whole, nor remembered)."""
    memo = TEXTS.get()
    found = memo.get(el) if memo is not None else None
    if found is None:
        found = short_element_paragraphs(el, limit)
        if found is None:
            return None
        if memo is not None:
            memo[el] = found
    return " ".join(found)


def text_of(el: etree._Element) -> str:
    """An element's visible text on one line, from the paragraphs remembered for this detection."""
    return " ".join(paragraphs_of(el))


_OWN_TEXT = etree.XPath("text()", smart_strings=False)


def own_text_nodes(el: etree._Element) -> list[str]:
    """The texts written straight into `el`, not inside its children, in order."""
    return _OWN_TEXT(el)


def own_text(el: etree._Element) -> str:
    """The text written straight into `el` on one line: whether a heading or a link is
    one run of text, or parts (a kicker, a headline, a marker) each in markup of its own."""
    return normalise_space("".join(_OWN_TEXT(el)))


def text_parts(el: etree._Element) -> list:
    """The children of `el` that hold visible text, in order: a heading's kicker,
    headline and markers, a link's spans."""
    return [c for c in el if isinstance(c.tag, str) and text_of(c)]


LINK_TEXTS: ContextVar[dict | None] = ContextVar("tidings_autodetect_link_texts", default=None)


def link_text_of(a) -> str:
    """A link's text, whitespace collapsed as str.split() does; remembered for one
    detection (a link is read as a clue, then in every block around it that is scored)."""
    return remembered(LINK_TEXTS, a, _link_text)


def _link_text(a) -> str:
    # The string value (a bare text link's own text, else one libxml2 call), with
    # whitespace collapsed by Python's rules (NBSP and friends too).
    return " ".join(string_value(a).split())


def is_title_text(text: str) -> bool:
    """Headline-like link text: a few words, not "Home", "12 comments" or "Next".

    Chinese and Japanese write a headline without spaces, a word in a
    character or two: five such characters make one ("退路を断つ").
    """
    if _RELATIVE_TIME.match(text):
        return False
    words = text.count(" ") + 1
    if (words >= 3 and len(text) >= 12) or (words == 2 and len(text) >= 20):
        return True
    return not text.isascii() and _wide_title(text)


def _wide_title(text: str) -> bool:
    wide = len(_WIDE.findall(text))
    return wide >= 5 and wide * 2 >= len(text)


# Characters of scripts written without spaces between words (CJK, kana,
# hangul, fullwidth forms), counted in C.
_WIDE = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def is_heading_title(text: str) -> bool:
    """Text of a link in a heading (or a heading in a link) that may be a headline
    however short ("誤算", "Animation editor"): a heading says it is a title,
    unless it reads as a pager or menu word ("More", "Home", "Next »")."""
    if len(text) < 2 or _RELATIVE_TIME.match(text) or is_navigation_text(text):
        return False
    return any(ch.isalpha() for ch in text)


def first_href(el) -> str:
    """The href of the first link in (or at) `el`, "" if none: what the XPath
    string(descendant-or-self::a[@href][1]/@href) gives, by a walk for <a> in libxml2."""
    for a in el.iter("a"):
        href = a.get("href")
        if href is not None:
            return href
    return ""


def first_text_link(el: etree._Element) -> etree._Element | None:
    """The first link in (or at) `el` with an href and text: where a box or a block
    opens (its section's name, or its headline when no kicker link comes first)."""
    return next((a for a in el.iter("a") if a.get("href") and link_text_of(a)), None)


def has_link(el) -> bool:
    """Whether `el` is or holds a link with an href: XPath's
    boolean(descendant-or-self::a[@href]), by a walk for <a> that stops at the
    first (libxml2's XPath gathers every <a> of the subtree first: twice the
    time on the rows of a long listing)."""
    for a in el.iter("a"):
        if a.get("href") is not None:
            return True
    return False
