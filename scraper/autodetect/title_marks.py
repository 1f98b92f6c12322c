"""What follows a title inside its heading: a date, a permalink mark.

Blogs and release pages write more than the title into the title's heading:
`<h2><a href=post>Title</a><span class=date>2022/09/02</span></h2>` (the
date set beside the title for its look), `<h2>Release 2.7.2 <a
class=permalink href=post>∞</a></h2>` (the post's only link, a mark: "∞",
"#", "¶", "🔗").  A reader's headline is the title alone; the date belongs to
`published`, and the mark is the item's link, not words of its headline.
Decided per heading by its parts, before the headline selector is chosen
across the sample (fields.headline_selector).
"""

from __future__ import annotations

from typing import NamedTuple

from scraper.autodetect.elements import tag_of
from scraper.autodetect.texts import is_title_text, link_text_of, own_text, text_of, text_parts
from scraper.autodetect.headings import HEADINGS
from scraper.autodetect.headlines import DATE_HINT
from scraper.dates import parse_date
from scraper.text import normalise_space

_MARK_MAX = 3  # characters: "∞", "#", "¶", "🔗", "[#]"


def is_mark(text: str) -> bool:
    """A permalink's mark: a symbol or two, no letter and no digit."""
    text = normalise_space(text)
    return 0 < len(text) <= _MARK_MAX and not any(ch.isalnum() for ch in text)


def _is_date(text: str) -> bool:
    return DATE_HINT.search(text) is not None and parse_date(text) is not None


def title_link_before_marks(head):
    """The title link of a heading that holds it and, after it, only dates and marks
    (<h2><a>Title</a><span><span>2022/09/02</span></span></h2>,
    <h2><a>Title</a> <a class=permalink>#</a></h2>); None for any other heading
    (one run of text, a kicker before the title, text outside the parts)."""
    if head is None or tag_of(head) not in HEADINGS or own_text(head):
        return None
    parts = text_parts(head)
    if len(parts) < 2 or tag_of(parts[0]) != "a" or not parts[0].get("href"):
        return None
    if is_mark(link_text_of(parts[0])) or not is_title_text(link_text_of(parts[0])):
        return None
    for part in parts[1:]:
        text = text_of(part)
        if not (is_mark(text) or _is_date(text)) or normalise_space(part.tail or ""):
            return None
    return parts[0]


class TitleThenParts(NamedTuple):
    """A heading's own text, all of it before the parts set after it in markup."""

    title: str
    parts: list


def title_then_parts(head) -> TitleThenParts | None:
    """The title a heading opens with and the parts that follow it (<h3>Title
    <span>marker</span></h3>): None for no heading, no parts, or text after one
    (then the heading is one text with markup inside).  The markers a headline
    ends in (kickers) and the permalink marks a title ends in are both read so."""
    if head is None or tag_of(head) not in HEADINGS:
        return None
    title = normalise_space(head.text or "")
    parts = text_parts(head)
    if not parts or own_text(head) != title:
        return None
    return TitleThenParts(title, parts)


def title_before_mark(head) -> str | None:
    """A heading's own text when it is the title followed by permalink marks only
    (<h2>Release 2.7.2 <a class=permalink href=post>∞</a></h2>), else None."""
    found = title_then_parts(head)
    if found is None or not found.title:
        return None
    return found.title if all(is_mark(text_of(part)) for part in found.parts) else None
