"""The selector of the listing's "next page" link.

rel=next first; else a link near the listing whose text or class says
"next", "older" or "more", verified to lead to another page.
"""

from __future__ import annotations

import re

from scraper.autodetect.elements import classes_of, tag_of
from scraper.autodetect.texts import LINK_TEXTS, SKIP_HREF, link_text_of
from scraper.markup import string_value
from scraper.selectors import has_class, select
from scraper.text import xpath_normalized
from scraper.urls import canonical_url

_NEXT_TEXT = re.compile(
    r"^(next|next page|next ›|next »|next →|older|older posts|older entries|older news|more|more news|›|»|→|>|>>)"
    r"\s*[›»→>]*$",
    re.I,
)


# Characters lxml refuses in an XPath's text (control characters, U+FFFE, U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _says_next(text: str) -> bool:
    """Whether a text holds "next", "older" or "more" (any of their ASCII letters in
    upper case) or an arrow.  Tested on the text in lower case: no character but
    those ASCII letters lowers to one of theirs, and `in` is cheaper than a regex."""
    lower = text.lower()
    return ("next" in lower or "older" in lower or "more" in lower
            or "›" in text or "»" in text or "→" in text or ">" in text)


def _class_says_next(a) -> bool:
    """Whether a link's class attribute holds "next" (any of its letters in upper case)."""
    return "next" in (a.get("class") or "").lower()


def _next_links(scope):
    """Links that may be the pager's "next": a cheap first sieve (_NEXT_TEXT decides),
    in page order: text under 60 characters that holds "next", "older", "more"
    or an arrow, or a class holding "next".  Lazy, as only the first that
    passes is wanted: a walk that stops there costs less than an XPath
    reading every link's text.  A link whose text this detection has read
    already is tested on that (the words are the same, and the raw text no
    shorter; only a link that passes is measured again, for its raw length)."""
    known = LINK_TEXTS.get() or {}
    for a in scope.iterdescendants("a"):
        if a.get("href") is None:
            continue
        words = known.get(a)
        if words is not None and (len(words) >= 60  # the raw text is no shorter
                                  or not (_says_next(words) or _class_says_next(a))):
            continue
        text = string_value(a)
        if len(text) < 60 and (_says_next(text) or _class_says_next(a)):
            yield a


def _first_rel_next_hrefs(root) -> dict[str, str]:
    """The first href that "a[rel~=next]::attr(href)" and "link[rel~=next]::attr(href)"
    each select in the page (a tag absent when none): one walk for both tags,
    with CSS's word test on rel, cheaper than the selectors' XPaths."""
    found: dict[str, str] = {}
    for el in root.iter("a", "link"):
        rel = el.get("rel")
        if rel is None or el.tag in found:
            continue
        if has_class(rel, "next"):  # [rel~=next]: a word of rel, as for class
            href = el.get("href")
            if href is not None:
                found[el.tag] = href
                if len(found) == 2:
                    break
    return found


def next_page_selector(root, page_url: str, scope=None) -> str | None:
    """A selector for the pager's "next" link (rel=next, else near the listing), verified to find it."""
    firsts = _first_rel_next_hrefs(root)
    for tag in ("a", "link"):
        value = firsts.get(tag)
        if value is not None:
            url = canonical_url(value, page_url)
            if url and url != canonical_url(page_url, page_url):
                return f"{tag}[rel~=next]::attr(href)"
    target = text = None
    candidates = []
    for a in _next_links(scope if scope is not None else root):
        href = a.get("href")
        if not href or SKIP_HREF.match(href):
            continue
        text = link_text_of(a)
        classes = " ".join(classes_of(a))
        if not (_NEXT_TEXT.match(text) or re.search(r"(^|[\s_-])next($|[\s_-])", classes)):
            continue
        target = canonical_url(href, page_url)
        if not _another_page_of(target, page_url):
            target = None  # a gallery's or a section's "Next", not the pager's
            continue
        candidates.extend(f"a.{c}::attr(href)" for c in classes_of(a) if "next" in c.lower() or "more" in c.lower())
        parent = a.getparent()
        if parent is not None:
            candidates.extend(f"{tag_of(parent)}.{c} a::attr(href)" for c in classes_of(parent) if "next" in c.lower())
        if "'" not in text and text and _NOT_XML.search(text) is None:  # an XPath cannot hold a control character
            candidates.append(f"xpath://a[normalize-space()='{text}']/@href")
        break
    by_text = f"xpath://a[normalize-space()='{text}']/@href" if target is not None else None
    for candidate in candidates:
        if candidate == by_text:
            first = _first_href_by_text(root, text)
        else:
            first = _first_selected(candidate, root)
        if first is None:
            continue
        url = canonical_url(first, page_url)
        if url and (target is None or url == target) and url != canonical_url(page_url, page_url):
            return candidate
    return None


# A slug of three words or more ("momentaufnahmen-im-februar-bilder"): a story's or a
# section's address, never what a pager adds to the listing's own.
_SLUG = re.compile(r"[^\W\d_]{2,}(?:[-_+][^\W\d_]{2,}){2,}")


def _another_page_of(url: str | None, page_url: str) -> bool:
    """Whether a link found by its text or class ("Next", a.next) leads to another page of
    this listing: what it changes in the page's path and query (what follows their common
    start) holds a number and no slug ("/page/2/", "?start=90", "index2.html",
    "search?updated-max=2015-05-22..."), unlike a gallery's "next" picture (a story's
    address) or a section named "Next" ("/next/").  rel=next is trusted as it is."""
    if not url:
        return False
    own = canonical_url(page_url, page_url) or page_url
    mine, theirs = _path_and_query(own), _path_and_query(url)
    start = 0
    while start < min(len(mine), len(theirs)) and mine[start] == theirs[start]:
        start += 1
    changed = theirs[start:]
    return any(ch.isdigit() for ch in changed) and _SLUG.search(changed) is None


def _path_and_query(url: str) -> str:
    rest = url.split("//", 1)[-1]
    return rest[rest.find("/"):] if "/" in rest else "/"


def _first_selected(selector: str, root) -> str | None:
    """The first value a selector gives in the page (as a string), or None."""
    found = select(selector, root)
    return str(found[0]) if found else None


def _first_href_by_text(root, text: str) -> str | None:
    """What "xpath://a[normalize-space()='{text}']/@href" selects first, found by a
    walk: libxml2 would read every link's text; a link whose words detection
    has read already is passed over unless they are `text` (normalize-space()
    only collapses blanks, so its words are the same)."""
    known = LINK_TEXTS.get() or {}
    for a in root.iter("a"):
        href = a.get("href")
        if href is None:
            continue
        words = known.get(a)
        if words is not None and words != text:
            continue
        if xpath_normalized(string_value(a)) == text:
            return href
    return None
