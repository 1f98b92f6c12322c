"""Stage 3, continued: item selectors widened to stories set apart from the grid.

A lead story in a hero block above the listing, and a plain "more
headlines" list right after it, are items of the same listing that no
selector of the grid's rows picks; they join it when they lead to the same
part of the site and a selector names them alone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scraper.autodetect.elements import CSS_IDENT, Paths, classes_of, common_ancestor, link_ancestor, tag_of
from scraper.autodetect.texts import SKIP_HREF, first_href, is_title_text, link_text_of, text_of
from scraper.autodetect.headings import HEADINGS
from scraper.autodetect.scoring import MIN_ITEMS
from scraper.selectors import select_elements
from scraper.urls import canonical_url
from scraper.memo import string_memo


def widened(item: str, names: list[str], root) -> tuple[str, list]:
    """The item selector with `names` added, and the blocks it then picks: every
    widening (a lead box, a list beside, featured cards) ends so."""
    selector = ", ".join([item, *names])
    return selector, select_elements(selector, root)


def with_lead_story(root, item: str, blocks: list, listing: list, paths: Paths, page_url: str) -> tuple[str, list]:
    """The item selector widened to a lead story set above the listing in a wrapper of its own.

    News hubs and section fronts put their top story in a hero block before
    the card grid (<section class="hero-story"> above <div class="card-grid">):
    no selector of the grid's rows picks it.  The nearest such block before
    the listing, a level or three up, joins the listing when it is one story
    (a heading whose headline-like link is its only destination) and a
    selector names it alone.
    """
    scope = common_ancestor(listing)
    inside = set(blocks)
    for _ in range(_LEAD_LEVELS):
        if scope is None or tag_of(scope) in ("body", "html"):
            break
        for seen, sibling in enumerate(scope.itersiblings(preceding=True)):
            if seen >= LEAD_SIBLINGS or tag_of(sibling) in HEADINGS:
                break  # the listing's own heading ("Latest news") closes the search
            found = _lead_story(sibling, paths, page_url)
            if found is None or _site_section(found[1]) not in site_sections(listing, page_url):
                continue  # no story, or a newsletter or campaign box, not a story of this listing
            lead = found[0]
            if any(anc in inside for anc in lead.iterancestors()):
                continue
            for name in _lead_names(lead):
                if select_elements(name, root) == [lead]:
                    return widened(item, [name], root)
            return item, blocks
        scope = scope.getparent()
    return item, blocks


def with_more_headlines(root, item: str, blocks: list, listing: list, paths: Paths, page_url: str) -> tuple[str, list]:
    """The item selector widened to a "more headlines" list right after the listing.

    Section fronts follow their grid of teasers with a plain list of links to
    more stories of the section.  It joins the listing when it comes right
    after it (among the next few siblings of the listing's container), is no
    navigation or "most read" box, and each of its rows is one headline-like
    link to the same part of the site as the listing's items (a "most
    popular" list mixes sections: sport, news, lifestyle; a blog column
    beside press releases leads to /blog/), none of them one of the
    listing's own (a "Most recent posts" box repeats the newest).
    """
    scope = common_ancestor(listing)
    if scope is None:
        return item, blocks
    label = ""  # the heading just before the list, which names the box when its classes do not
    for seen, sibling in enumerate(scope.itersiblings()):
        if seen >= LEAD_SIBLINGS or not isinstance(sibling.tag, str):
            break
        if tag_of(sibling) in HEADINGS:
            label = text_of(sibling)
            continue
        if paths.of(sibling).bad:
            label = ""
            continue
        for links in sibling.iter("ul", "ol", *HEADINGS):
            if tag_of(links) in HEADINGS:
                label = text_of(links)
                continue
            if paths.of(links).bad or ASIDE_LABEL.search(label):
                continue
            rows = [li for li in links if tag_of(li) == "li"]
            urls = [_headline_row(li, page_url) for li in rows]
            if len(rows) < MIN_ITEMS or not all(urls):
                continue
            if not {_site_section(u) for u in urls} <= site_sections(listing, page_url):
                continue
            if _repeats_listing(urls, listing, page_url):
                continue
            for name in _list_names(links):
                found = select_elements(name, root)
                if found == rows:
                    return widened(item, [name], root)
            return item, blocks
        label = ""
    return item, blocks


# Headings of boxes of other stories than the section's latest ("Most read",
# "Related news", "Trending", "Meistgelesen", "Les plus lus"): older stories,
# each of which would be reported new.
ASIDE_LABEL = re.compile(
    r"\b(?:most\s+(?:read|viewed|popular|shared|emailed|commented|watched)|popular|trending|related"
    r"|see\s+also|recommended|(?:you|also)\s+(?:may|might)\s+(?:also\s+)?like|editors?'?\s+picks?|read\s+next)\b"
    # ... and in the other languages of the corpus's sites: German, French, Spanish, Italian, Portuguese.
    r"|\b(?:meistgelesen|meistgesehen|meistkommentiert|beliebteste?n?|am\s+meisten\s+gelesen"
    r"|les\s+plus\s+(?:lus|vus|partag[ée]s|comment[ée]s)|populaires?"
    r"|m[áa]s\s+(?:le[íi]d[oa]s|vist[oa]s|populares)|pi[ùu]\s+(?:lett[ie]|vist[ie]|popolari)"
    r"|mais\s+(?:lid[oa]s|vist[oa]s))",
    re.I,
)


def _repeats_listing(urls: list, listing: list, page_url: str) -> bool:
    """Whether a list after the listing repeats stories of the listing itself: a
    blog's "Most recent posts" box (the newest posts again), not more headlines."""
    own = {canonical_url(href, page_url) for href in map(first_href, listing) if href}
    return any(url in own for url in urls)


def _headline_row(li, page_url: str) -> str | None:
    """The URL of a list row that is one headline-like link and little else."""
    links = [a for a in li.iter("a") if a.get("href") and not SKIP_HREF.match(a.get("href"))]
    if len(links) != 1 or not is_title_text(link_text_of(links[0])):
        return None
    if len(text_of(li)) > len(link_text_of(links[0])) + 40:
        return None  # a teaser or a byline: no bare headline list
    return canonical_url(links[0].get("href"), page_url)


def _list_names(listing) -> list[str]:
    """Selectors that may name the rows of a "more headlines" list: by its classes or its parent's."""
    names = [f"{tag_of(listing)}.{c} > li" for c in classes_of(listing)]
    parent = listing.getparent()
    if parent is not None:
        names += [f"{tag_of(parent)}.{c} > {tag_of(listing)} > li" for c in classes_of(parent)]
    return names


_LEAD_LEVELS = 3  # wrappers between the listing and the lead story's place
LEAD_SIBLINGS = 3  # elements before the listing looked at on each level


def _lead_story(el, paths: Paths, page_url: str) -> tuple | None:
    """(the element, its story's URL) when it holds exactly one story: a heading
    with a headline-like link, every headline-like link in it leading to the same page."""
    if not isinstance(el.tag, str) or tag_of(el) in HEADINGS or paths.of(el).bad:
        return None
    heads = [h for h in el.iter(*HEADINGS) if h.find(".//a[@href]") is not None or link_ancestor(h, el) is not None]
    if len(heads) != 1:
        return None
    titles = {canonical_url(a.get("href"), page_url) for a in el.iter("a")
              if a.get("href") and not SKIP_HREF.match(a.get("href")) and is_title_text(link_text_of(a))}
    return (el, titles.pop()) if len(titles) == 1 and len(text_of(el)) <= 1500 else None


def site_sections(blocks: list, page_url: str) -> set[tuple[str, str]]:
    """Where on the site the listing's items live."""
    return {_site_section(canonical_url(href, page_url)) for href in map(first_href, blocks) if href}


@string_memo(4096)
def _site_section(url: str | None) -> tuple[str, str]:
    """Host and first path segment: where on the site a story lives ("/news/...")."""
    parts = urlsplit(url or "")
    return parts.netloc, parts.path.strip("/").split("/")[0]


def _lead_names(el) -> list[str]:
    """Selectors that may name a lead story alone: its classes, or an id without digits
    (numbered ids change from page to page)."""
    names = [f"{tag_of(el)}.{c}" for c in classes_of(el)]
    ident = el.get("id")
    if ident and CSS_IDENT.match(ident) and not re.search(r"\d", ident):
        names.append("#" + ident)
    return names

