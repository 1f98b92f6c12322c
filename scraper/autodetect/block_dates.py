"""Where a block shows its date: the element that gives it, and the date.

Date detection (fields.date_selector) looks for a block's date by its look
before it names it: a <time>, else the first small element outside the
headline whose attribute or short visible text reads as a date, else text
written straight into the block.  Most elements hold no date, so the cheap
tests (attributes, digits in the raw text) come before reading visible text.
"""

from __future__ import annotations

import re

from scraper.autodetect.elements import tag_of
from scraper.autodetect.texts import own_text_nodes, short_text_of
from scraper.autodetect.headings import HEADINGS
from scraper.autodetect.headlines import DATE_HINT
from scraper.dates import parse_date
from scraper.markup import string_value
from scraper.text import normalise_space

OWN_TEXT_NODE = "xpath:text()"  # date_node's answer for a date written straight into the block


def date_of(el) -> str | None:
    """The date an element gives in an attribute (datetime, content, title) or in its short text.

    Unlike extraction's reading of a date selector's match (scraper.record_fields),
    an attribute must look like a date (DATE_HINT) before it is parsed: detection
    asks this of every small element of a block, whose titles are mostly words."""
    for attr in ("datetime", "content", "title"):
        value = el.get(attr)
        if value and DATE_HINT.search(value):
            parsed = parse_date(value)
            if parsed:
                return parsed
    if _FOUR_DIGITS.search(string_value(el)) is None:
        # Fewer than four digits in its text, hidden parts included: its visible text
        # holds no more (reading drops hidden parts and blanks, never a digit), and
        # DATE_HINT wants four (a year, or d/m/yy), so no date; the costly reading
        # of that text is skipped for the many elements without one ("3 comments").
        return None
    text = short_text_of(el, 80)  # None for a long text (a post's body): no date line
    if text and len(text) <= 80 and DATE_HINT.search(text):
        return parse_date(text)
    return None


_DIGIT = re.compile(r"\d")
_FOUR_DIGITS = re.compile(r"\d\D*\d\D*\d\D*\d")  # \D* stops at the next digit: no backtracking


def date_node(block, head):
    """The first <time>, else the first small element outside the headline, that holds a date."""
    for el in block.iter("time"):
        date = date_of(el)
        if date:
            return el, date
    # Not the headline, nor the heading around it (<h2><a>Title</a><span>2022/09/02</span></h2>: the span is the date).
    in_head = set(head.iter()) | set(head.iterancestors(*HEADINGS)) if head is not None else set()
    for el in block.iter():
        if el is block or el in in_head:
            continue
        if tag_of(el) == "time" or len(el) <= _DATE_LINE_PARTS:
            date = date_of(el)
            if date:
                return el, date
    own = normalise_space(" ".join(own_text_nodes(block)))  # "<li><a>headline</a> (12/03/2024)</li>"
    if own and len(own) <= 80 and DATE_HINT.search(own):
        date = parse_date(own)
        if date:
            return OWN_TEXT_NODE, date
    return None, None


# A date line's parts: "<i class=flag/> <span>•</span> June 19, 2026 <span>•</span> by ChickenJoe".
_DATE_LINE_PARTS = 4


def smallest_holding(el, date: str):
    """The innermost element that gives the same date: the date itself, not the
    byline around it ("By <a>VJR Nephro</a> in ... <p class=date>April 21, 2026</p>"),
    so the selector names the date and not the line's (often unnamed) wrapper."""
    for child in el:
        if isinstance(child.tag, str) and _DIGIT.search(string_value(child)) and date_of(child) == date:
            return smallest_holding(child, date)
    return el
