"""The selector of the listing's "next page" link.

rel=next first; else a link near the listing whose text or class says
"next", "older" or "more", verified to lead to another page.
"""

from __future__ import annotations

import re

from lxml import etree

from scraper.autodetect.elements import SKIP_HREF, classes_of, link_text_of, tag_of
from scraper.selectors import select
from scraper.urls import canonical_url

_NEXT_TEXT = re.compile(
    r"^(next|next page|next ›|next »|next →|older|older posts|older entries|older news|more|more news|›|»|→|>|>>)"
    r"\s*[›»→>]*$",
    re.I,
)


_LOWER = "translate(., 'NEXTOLDRM', 'nextoldrm')"
_NEXT_LINKS = etree.XPath(  # a cheap first sieve, in C; _NEXT_TEXT decides
    "descendant::a[@href][string-length(.) < 60][contains(translate(@class, 'NEXT', 'next'), 'next')"
    f" or contains({_LOWER}, 'next') or contains({_LOWER}, 'older') or contains({_LOWER}, 'more')"
    " or contains(., '›') or contains(., '»') or contains(., '→') or contains(., '>')]"
)


def next_page_selector(root, page_url: str, scope=None) -> str | None:
    """A selector for the pager's "next" link (rel=next, else near the listing), verified to find it."""
    for candidate in ("a[rel~=next]::attr(href)", "link[rel~=next]::attr(href)"):
        for value in select(candidate, root)[:1]:
            url = canonical_url(str(value), page_url)
            if url and url != canonical_url(page_url, page_url):
                return candidate
    target = None
    candidates = []
    for a in _NEXT_LINKS(scope if scope is not None else root):
        href = a.get("href")
        if not href or SKIP_HREF.match(href):
            continue
        text = link_text_of(a)
        classes = " ".join(classes_of(a))
        if not (_NEXT_TEXT.match(text) or re.search(r"(^|[\s_-])next($|[\s_-])", classes)):
            continue
        target = canonical_url(href, page_url)
        candidates.extend(f"a.{c}::attr(href)" for c in classes_of(a) if "next" in c.lower() or "more" in c.lower())
        parent = a.getparent()
        if parent is not None:
            candidates.extend(f"{tag_of(parent)}.{c} a::attr(href)" for c in classes_of(parent) if "next" in c.lower())
        if "'" not in text and text:
            candidates.append(f"xpath://a[normalize-space()='{text}']/@href")
        break
    for candidate in candidates:
        found = select(candidate, root)
        if not found:
            continue
        url = canonical_url(str(found[0]), page_url)
        if url and (target is None or url == target) and url != canonical_url(page_url, page_url):
            return candidate
    return None

