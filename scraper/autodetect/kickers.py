"""Kickers inside headline headings, decided across the listing's sampled blocks.

News sections set a short line above each headline inside the same heading
(`<h2><a><span>Umfrage des ZDF</span><span>Mehrheit der Deutschen für ...</span></a></h2>`):
the kicker (topline, Dachzeile, eyebrow).  One block says too little to
tell a kicker from a title above its subtitle, and the one-block rule of
`headlines.py` only cuts a kicker of a word or three.  A listing says
more: when most sampled headings are one short part before a longer one,
in the same place in each, the short parts are kickers and the headline is
the last part.  A badge ("Alert", "Z+") in front of a few headlines only is
told by the blocks that carry it, which an even sample may miss: those are
added to the sample the headline selector is chosen on.  After the headline,
a heading may hold a marker ("Post de blog", a comment count): the headline
is then the heading's own text.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree

from scraper.autodetect.elements import tag_of
from scraper.autodetect.texts import is_title_text, own_text, text_of, text_parts
from scraper.autodetect.headings import HEADINGS
from scraper.autodetect.headlines import class_names, headline_element
from scraper.autodetect.title_marks import title_then_parts
from scraper.selectors import select

# A part named as the title is no kicker; a part named as a teaser, subtitle or metadata is no headline.
_TITLE_NAME = re.compile(r"title|headline|heading", re.I)
_NOT_HEADLINE_NAME = re.compile(
    r"sub|teaser|summary|excerpt|desc|dek|intro|standfirst|date|time|meta|author|byline|count", re.I)
_KICKER_MAX = 60
_BADGE_LOOKS = 100  # blocks looked at for a badge: a news stream's teasers, not a notice board's thousand rows
_KICKER_MAX_WORDS = 8


def heading_parts(head) -> list | None:
    """The parts with text of a heading, through the one link (or unnamed wrapper) it
    holds: [kicker, headline] in <h2><a><span>kicker</span><span>headline</span></a></h2>.
    None when the heading, or the link in it, is one run of text."""
    inner = head
    for _ in range(3):
        if own_text(inner):
            return None
        parts = text_parts(inner)
        if len(parts) != 1 or (tag_of(parts[0]) != "a" and parts[0].get("class")):
            return parts
        inner = parts[0]
    return None


def _kicker_pair(head) -> tuple | None:
    """(kicker, headline) when a heading is a short part before a headline part, else None."""
    if head is None or tag_of(head) not in HEADINGS:
        return None
    parts = heading_parts(head)
    if not parts or len(parts) != 2:
        return None
    first, last = parts
    if tag_of(first) == "a" and first.get("href"):  # the linked title, a line outside its link after it
        return None
    kicker, headline = text_of(first).rstrip(" :|–-"), text_of(last)
    if not kicker or len(kicker) > _KICKER_MAX or kicker.count(" ") >= _KICKER_MAX_WORDS or kicker.endswith("."):
        return None
    if _TITLE_NAME.search(class_names(first)) or _NOT_HEADLINE_NAME.search(class_names(last)):
        return None
    if not any(ch.isalpha() for ch in headline) or headline.endswith("."):
        return None
    return first, last


def without_kickers(sample: list, heads: list) -> tuple[list, str | None]:
    """The headline elements with the kicker cut off, when most sampled headings are a
    kicker and a headline: a short part then a longer, title-like part, the kicker
    parts shorter in sum than the headline parts (a title above a longer subtitle
    is one kicker-looking pair among many that are not; a listing of them would
    read as kickers too, which is why the rule asks for the usual order: short first).
    With them, a selector for the heading's last part (None if there is none), which
    also finds the whole headline of a heading without a kicker; when a sampled
    heading without one is not found so, the headings stay whole: a listing of
    stories with and without kickers must lose none of them."""
    present = [b for b, h in zip(sample, heads) if h is not None]
    pairs = {id(b): _kicker_pair(headline_element(b)) for b in present}
    found = [p for p in pairs.values() if p is not None]
    if len(found) < 2 or 2 * len(found) < len(present):
        return heads, None
    if sum(len(text_of(k)) for k, _ in found) >= sum(len(text_of(h)) for _, h in found):
        return heads, None
    if 2 * sum(1 for _, h in found if is_title_text(text_of(h))) < len(found):
        return heads, None
    if len({tag_of(h) for _, h in found}) > 1:  # the headline part is one kind of element in every heading
        return heads, None
    cut = [pairs[id(b)][1] if pairs.get(id(b)) else h for b, h in zip(sample, heads)]
    path = next(_last_part_path(headline_element(b), pairs[id(b)][1]) for b in present if pairs[id(b)])
    if path is not None and all(_first_found(path, b, h) for b, h in zip(sample, cut) if h is not None):
        return cut, path
    if len(found) == len(present):  # every sampled heading has a kicker: the per-block reading stands
        return cut, None
    return heads, None


def _last_part_path(head, last) -> str | None:
    """`xpath:(.//h2)[1]/a/span[last()] | (.//h2)[1]/a[not(span)]`: the last part of a heading
    through the link or wrapper that holds it, which is the whole headline where there is
    no kicker (one span, or the link's own text)."""
    steps = []
    node = last.getparent()
    while node is not None and node is not head:
        steps.append(tag_of(node))
        node = node.getparent()
    if node is None or any(not re.fullmatch(r"[a-z][a-z0-9]*", t) for t in steps + [tag_of(last), tag_of(head)]):
        return None
    holder = f"(.//{tag_of(head)})[1]" + "".join(f"/{t}" for t in reversed(steps))
    return f"xpath:{holder}/{tag_of(last)}[last()] | {holder}[not({tag_of(last)})]"


def _first_found(path: str, block, head) -> bool:
    """Whether `path` finds, first, an element with the text of `head` in the block."""
    found = [n for n in select(path, block) if isinstance(n, etree._Element) and text_of(n)]
    return bool(found) and text_of(found[0]) == text_of(head)


def badge_rows(blocks: list, sample: list, head_of) -> list:
    """Up to two blocks outside the sample whose headline heading opens with a part
    more than the sampled ones show (an "Alert" badge before a few headlines):
    the headline selector must agree with them too."""
    if len(blocks) <= len(sample):
        return []
    shapes = Counter(_part_count(head_of(b)) for b in sample)
    usual = shapes.most_common(1)[0][0] if shapes else None  # on a tie, the sample's first shape
    if usual is None:
        return []
    chosen = set(sample)
    extra = []
    for block in blocks[:_BADGE_LOOKS]:
        if block in chosen:
            continue
        if _part_count(head_of(block)) == usual + 1:
            extra.append(block)
            if len(extra) == 2:
                break
    return extra


def _part_count(head) -> int | None:
    if head is None or tag_of(head) not in HEADINGS:
        return None
    parts = heading_parts(head)
    return None if parts is None else len(parts)


# What a marker after a headline is named for: its kind of story, its comments, a flag.
_MARKER_NAME = re.compile(r"type|kind|format|count|comment|reaction|badge|label|flag|marker|icon|tag", re.I)
_YEAR = re.compile(r"(1[89]|20)\d\d")
_INLINE = frozenset({"a", "em", "strong", "i", "b", "abbr", "q", "cite", "code", "mark", "sub", "sup", "br"})


def headline_before_markers(head) -> str | None:
    """A heading's own text when it is the headline followed by markers only
    (<h3>Où sont tous les extraterrestres ? <span class="type_element">Post de blog</span></h3>,
    <span class="nb_reactions">11</span>), else None.  A marker is a short named box, no
    inline markup of the title (<em>, <a>), named as one; a year is no marker ("2024": part of the title)."""
    found = title_then_parts(head)
    if found is None or not is_title_text(found.title):
        return None  # no marker, or text after one: the heading is one text with markup inside
    for part in found.parts:
        text = text_of(part)
        if tag_of(part) in _INLINE or len(text) > 20 or text.count(" ") > 2:
            return None
        if not _MARKER_NAME.search(class_names(part)) or _YEAR.fullmatch(text):
            return None  # a bare number is a marker when named as one (a count), never a year
    return found.title


def marked_title_selector(heading_tags: list[str], marked_heads: list) -> str:
    """The text of the first heading less the markers seen after its title in `marked_heads`
    (`<h3>Why the <em>Titanic</em> sank <span class="type_element">Post de blog</span></h3>`
    -> "Why the Titanic sank"): a heading's inline markup stays, only elements like the
    markers seen (by class, or unnamed and no longer) are left out."""
    tests = dict.fromkeys(_marker_test(part) for head in marked_heads
                          for part in head if isinstance(part.tag, str) and text_of(part))
    headings = "|".join(f".//{t}" for t in heading_tags)
    left_out = f"[not({' or '.join(tests)})]" if tests else ""
    return f"xpath:({headings})[1]/node(){left_out}/descendant-or-self::text()"


def _marker_test(part) -> str:
    """An XPath test for elements like a marker: its first class, else its tag, unnamed, no longer."""
    name = next((n for n in (part.get("class") or "").split() if re.fullmatch(r"[\w-]+", n)), None)
    if name:
        return f"self::*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    tag = tag_of(part) if re.fullmatch(r"[a-z][a-z0-9]*", tag_of(part)) else "*"
    return f"self::{tag}[not(@class) and string-length(normalize-space()) <= {len(text_of(part))}]"
