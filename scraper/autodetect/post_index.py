"""A list of links to the listing's own posts is an index of them, not the listing.

Blogs set beside a page of posts a list of every post (an archive, "all
posts", a table of contents, "recent posts"), one bare link a row.  It holds
more headline links than the page's ten teasers, so by headline text it
outscores them; but it repeats their links.  When the best group is such a
list of bare links, at least three times as long as a group of headed
teasers (a linked heading, other text) whose headline links it nearly all
repeats, the teasers are the listing: the list only points at them (and at
older posts).  Decided on
the few weighed groups, so it costs nothing per element of the page.
"""

from __future__ import annotations

from scraper.autodetect.elements import Paths
from scraper.autodetect.texts import SKIP_HREF, link_text_of, text_of
from scraper.autodetect.headings import HEADINGS
from scraper.urls import canonical_url

_MIN_POSTS = 4  # teasers enough to be a page of posts, not a featured trio repeated in the list
# An index points at the page's posts and at many older ones: several times as many
# links as teasers.  A list of headlines about as long as the teasers above it, which
# they feature, is the listing itself (the newest stories, some shown large).
_INDEX_RATIO = 3
_COVERED = 0.8  # share of the teasers' headline links the list must repeat
_BARE_OTHER_TEXT = 20  # characters outside the link: a bare link row


def _links(block, page_url: str) -> set[str]:
    found = set()
    for a in block.iter("a"):
        href = a.get("href")
        if href and not SKIP_HREF.match(href):
            url = canonical_url(href, page_url)
            if url:
                found.add(url)
    return found


def _bare_rows(blocks: list) -> bool:
    """Rows of one link and next to no other text (a date at most)."""
    for block in blocks:
        links = [a for a in block.iter("a") if a.get("href")]
        if len(links) != 1 and block.tag != "a":
            return False
        if len(text_of(block)) - len(link_text_of(links[0] if links else block)) > _BARE_OTHER_TEXT:
            return False
    return True


def _headline_link(block, page_url: str) -> str | None:
    """The link of a teaser's linked heading (in it or around it), or None when it has none."""
    for heading in block.iter(*HEADINGS):
        a = heading.find(".//a[@href]")
        if a is None:
            a = next((anc for anc in heading.iterancestors("a") if anc.get("href")), None)
        if a is not None and not SKIP_HREF.match(a.get("href")):
            return canonical_url(a.get("href"), page_url)
    return None


def indexed_posts(best: list, rivals: list, paths: Paths, sample) -> list | None:
    """The group of headed teasers among `rivals` (blocks lists, best score first) whose
    headline links the bare link list `best` repeats, or None.  `sample`: the stage's
    even sample of a group's blocks."""
    if not _bare_rows(sample(best)):
        return None
    listed = None  # the list's links: read once a rival is worth comparing
    for items in rivals:
        if len(items) < _MIN_POSTS or len(items) * _INDEX_RATIO > len(best) or any(b in set(best) for b in items[:3]):
            continue
        heads = [_headline_link(b, paths.page_url) for b in sample(items)]
        if sum(1 for h in heads if h) * 2 <= len(heads) or _bare_rows(sample(items)):
            continue  # not teasers under linked headings
        if listed is None:
            listed = set().union(*(_links(b, paths.page_url) for b in best))
        found = [h for h in heads if h]
        if sum(1 for h in found if h in listed) >= _COVERED * len(found):
            return items
    return None
