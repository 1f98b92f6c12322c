"""Stage 1: candidate item blocks, found from the links that read as headlines.

From every headline-like link, climb a few levels; every element met is a
candidate item block, grouped with the elements of the same tag under
parents with the same tag-and-class path.  When the links give no listing of
headed teasers (card grids whose links all say "Read more"), headings with
headline-like text are clues too.
"""

from __future__ import annotations

import re

from lxml import etree

from scraper.autodetect.elements import Paths, tag_of
from scraper.autodetect.texts import (
    LINK_TEXTS, SKIP_HREF, first_href, has_link, is_heading_title, is_title_text, link_text_of,
)
from scraper.markup import string_value
from scraper.memo import string_memo
from scraper.text import xpath_normalized

MAX_CLIMB = 8  # levels above a link at which its item block may start


# Links whose text may be a headline, sieved before Python decides; not those
# in menus, sidebars and site maps: they are never the main listing's headlines.
# Three kinds pass: text with a space (or a no-break space: "Emily&#160;Maynard") and 12 characters; any text of two in
# or around a heading (a heading says "title"); five or more characters with
# no Latin letter (Chinese, Japanese: no spaces between words).  The text is
# measured as XPath's normalize-space() gives it (only ASCII blanks collapse):
# the sieve was one XPath over the page once, and detection keeps its answers.
_HEADING = "self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
_SIEVE = etree.XPath(
    "boolean(self::*[(contains(translate(normalize-space(), '\u00a0', ' '), ' ') and string-length(normalize-space()) >= 12)"
    f" or (string-length(normalize-space()) >= 2 and (ancestor::*[position() <= 3][{_HEADING}] or descendant::*[{_HEADING}]))"
    " or (string-length(normalize-space()) >= 5 and translate(normalize-space(),"
    " 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = normalize-space())])"
)
# The blanks str.split() collapses but normalize-space() keeps: in a text
# without them the two agree, and the sieve is run in Python on the text
# already read; a text with them (rare) is sieved by libxml2 as before.
_OTHER_BLANKS = re.compile("[\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_OUTSIDE_LISTINGS = ("nav", "aside", "footer")


def _clue_links(scope, paths: Paths):
    """(link, its text) for every clue inside `scope` (not itself), in page order:
    a link that leads somewhere, passes the sieve above and reads as a title
    (or, in or around a heading, as a short one).

    One walk for <a>, less the links of menus, sidebars and footers (collected
    by a walk of those regions, not tested ancestor by ancestor); a link to
    "#" or "javascript:" is passed over unread; each other link's string value
    is read once and remembered as its link text (every later stage asks for
    it), and whether a heading is around or inside a link is answered from the
    page's headings (Paths.headings).
    """
    if any(tag_of(el) in _OUTSIDE_LISTINGS for el in (scope, *scope.iterancestors())):
        return
    outside = set()
    for region in scope.iterdescendants(*_OUTSIDE_LISTINGS):
        outside.update(region.iterdescendants("a"))
    headed = paths.headings(scope).links
    texts = LINK_TEXTS.get()
    for a in scope.iterdescendants("a"):
        href = a.get("href")
        if href is None or a in outside or SKIP_HREF.match(href) or _taxonomy_page(href):
            continue
        value = string_value(a)
        text = " ".join(value.split())  # what link_text_of reads
        if texts is not None and a not in texts:
            texts[a] = text
        if not _passes(a, value, text, headed):
            continue
        if is_title_text(text) or (is_heading_title(text) and a in headed):
            yield a, text


def _passes(a, value: str, text: str, headed: set) -> bool:
    """Whether a link passes the sieve, given its string value, that value's words
    joined by spaces, and the links in or around headings (Headings.links)."""
    if _OTHER_BLANKS.search(value) is None:
        spaced = text  # normalize-space() gives the same text here
    elif len(value) < _LONG:
        spaced = xpath_normalized(value)
    else:
        return _SIEVE(a)  # a link around a page's worth of text: libxml2 measures it faster
    length = len(spaced)
    if length < 2:
        return False
    return ((length >= 12 and (" " in spaced or "\u00a0" in spaced))
            or (length >= 5 and _LATIN_LETTER.search(spaced) is None)
            or a in headed)


_LONG = 1000


def candidate_groups(scope, paths: Paths) -> dict[tuple[int, str], dict]:
    """Candidate blocks around every title-like link, grouped by parent path and tag.

    Each group maps its blocks to the length of their longest title.  A climb
    stops at a block an earlier link reached with a title at least as long,
    so shared containers are not walked once per link.
    """
    groups: dict[tuple[int, str], dict] = {}
    credited = paths.credited
    nodes = paths.nodes
    for a, text in _clue_links(scope, paths):
        title = 20 + min(len(text), 80)  # every item counts, long titles a little more
        node = a
        for _ in range(MAX_CLIMB):  # the hot loop of detection: kept plain
            parent = node.getparent()
            if parent is None:
                break
            if credited.get(node, 0) >= title:  # walked before with a title as long
                break
            credited[node] = title
            key = ((nodes.get(parent) or paths.of(parent)).key, node.tag)
            group = groups.get(key)
            if group is None:
                group = groups[key] = {}
            group[node] = title
            if parent is scope:
                break
            node = parent
    return groups


# The page of one category, tag or author ("/category/public-reports/",
# "/category/research/crypto/", "/tag/ai",
# "?cat=3"): a post's metadata link, never a listing's headline, however many
# words the category's name has.
_TAXONOMY_PAGE = re.compile(
    r"/(?:category|categories|tags?|authors?|labels?|search/label)/[^?#]+(?:[?#].*)?$|[?&](?:cat|tag|author)=[^&]*$",
    re.I,
)


@string_memo(8192)
def _taxonomy_page(href: str) -> bool:
    # Memoised: a monitor reads the same links again and again.
    return _TAXONOMY_PAGE.search(href) is not None


# Headings with headline-like text outside menus, sidebars and footers: the
# clues of a listing whose links all read "Read more" (a Bootstrap card grid).
# The page's headings are found by tag (libxml2 walks the page for those
# tags only), then each is tested: cheaper than one XPath testing every element.
# Words spaced with no-break spaces count as spaced.
_TITLE_HEADING = etree.XPath(
    "boolean(self::*[contains(translate(normalize-space(), '\u00a0', ' '), ' ')][string-length(normalize-space()) >= 12]"
    "[not(ancestor::nav or ancestor::aside or ancestor::footer)])"
)


def _title_headings(scope) -> list:
    """h2-h6 inside `scope` (not itself) with headline-like text, outside menus, sidebars and footers, in page order."""
    return [h for h in scope.iterdescendants("h2", "h3", "h4", "h5", "h6") if _TITLE_HEADING(h)]



def heading_groups(scope, paths: Paths) -> dict[tuple[int, str], dict]:
    """Candidate blocks around headline-like headings, when no link reads as a headline.

    Only blocks that hold a link count: an item needs somewhere to lead, and
    an article's own section headings (no links around them) stay no listing.
    Used only as a fallback, so pages whose links carry headlines are judged
    exactly as before.
    """
    groups: dict[tuple[int, str], dict] = {}
    for h in _title_headings(scope):
        text = link_text_of(h)
        if not is_title_text(text):
            continue
        title = 20 + min(len(text), 80)
        node = h
        for _ in range(MAX_CLIMB):
            parent = node.getparent()
            if parent is None:
                break
            if paths.credited.get(node, 0) >= title:
                break
            paths.credited[node] = title
            if has_link(node):
                key = (paths.of(parent).key, node.tag)
                groups.setdefault(key, {})[node] = title
            if parent is scope:
                break
            node = parent
    return {key: members for key, members in groups.items() if _own_links(members)}


def _own_links(blocks) -> bool:
    """Items lead to pages of their own: blocks that mostly share one link
    (questions of an FAQ all pointing at "apply online") are no listing."""
    hrefs = [first_href(b) for b in blocks]
    return len(set(hrefs)) >= 0.8 * len(hrefs)

