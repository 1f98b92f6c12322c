"""Stage 3, continued: item selectors widened to stories set apart from the grid.

A lead story in a hero block above the listing, and a plain "more
headlines" list right after it, are items of the same listing that no
selector of the grid's rows picks; they join it when they lead to the same
part of the site and a selector names them alone.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree

from scraper.autodetect.elements import (
    CSS_IDENT, FIRST_HREF, HEADINGS, SKIP_HREF, Paths, classes_of, common_ancestor, is_title_text, link_ancestor,
    link_text_of, tag_of, text_of,
)
from scraper.autodetect.item_selector import path_selector
from scraper.autodetect.scoring import MIN_ITEMS
from scraper.selectors import select
from scraper.urls import canonical_url


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
            if seen >= _LEAD_SIBLINGS or tag_of(sibling) in HEADINGS:
                break  # the listing's own heading ("Latest news") closes the search
            found = _lead_story(sibling, paths, page_url)
            if found is None or _site_section(found[1]) not in _site_sections(listing, page_url):
                continue  # no story, or a newsletter or campaign box, not a story of this listing
            lead = found[0]
            if any(anc in inside for anc in lead.iterancestors()):
                continue
            for name in _lead_names(lead):
                if [el for el in select(name, root) if isinstance(el, etree._Element)] == [lead]:
                    widened = f"{item}, {name}"
                    return widened, [el for el in select(widened, root) if isinstance(el, etree._Element)]
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
        if seen >= _LEAD_SIBLINGS or not isinstance(sibling.tag, str):
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
            if paths.of(links).bad or _ASIDE_LABEL.search(label):
                continue
            rows = [li for li in links if tag_of(li) == "li"]
            urls = [_headline_row(li, page_url) for li in rows]
            if len(rows) < MIN_ITEMS or not all(urls):
                continue
            if not {_site_section(u) for u in urls} <= _site_sections(listing, page_url):
                continue
            if _repeats_listing(urls, listing, page_url):
                continue
            for name in _list_names(links):
                found = [el for el in select(name, root) if isinstance(el, etree._Element)]
                if found == rows:
                    widened = f"{item}, {name}"
                    return widened, [el for el in select(widened, root) if isinstance(el, etree._Element)]
            return item, blocks
        label = ""
    return item, blocks


# Headings of boxes of other stories than the section's latest ("Most read",
# "Related news", "Trending", "Meistgelesen", "Les plus lus"): older stories,
# each of which would be reported new.
_ASIDE_LABEL = re.compile(
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
    own = {canonical_url(href, page_url) for href in map(FIRST_HREF, listing) if href}
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
_LEAD_SIBLINGS = 3  # elements before the listing looked at on each level


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


def _site_sections(blocks: list, page_url: str) -> set[tuple[str, str]]:
    """Where on the site the listing's items live."""
    return {_site_section(canonical_url(href, page_url)) for href in map(FIRST_HREF, blocks) if href}


@lru_cache(maxsize=4096)
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



_FEATURED_MAX = 8  # cards of a featured box: a few, never a listing of its own
_FEATURED_LEVELS = 5  # wrappers between the listing and the box's section (page builders nest deep)


def with_featured_cards(root, item: str, blocks: list, listing: list, paths: Paths, page_url: str) -> tuple[str, list]:
    """The item selector widened to a box of featured cards set above the listing.

    Newsrooms put their latest few stories in a grid of cards (one big, a few
    small) above the full list, in a section of its own that no selector of
    the list's rows picks.  Such a box is part of the listing when it repeats
    one of the listing's own stories (a featured copy): a "most read" or
    campaign box above a listing has stories of its own or lies in a region
    around the content.  A box of copies only adds nothing (and its titles
    may be worded apart from the rows'), so the box must also hold a story
    the listing lacks.  Each card is a link that holds a heading, or a
    heading's link; they join when selectors name the cards alone.
    """
    scope = common_ancestor(listing)
    if scope is None:
        return item, blocks
    own = None  # the listing's story URLs: read only once a box of cards is met
    inside = set(blocks)
    for _ in range(_FEATURED_LEVELS):
        if scope is None or tag_of(scope) in ("body", "html", "main"):
            break
        siblings = (el for el in scope.itersiblings(preceding=True) if isinstance(el.tag, str))  # not comments
        for seen, sibling in enumerate(siblings):
            if seen >= _LEAD_SIBLINGS:
                break
            if paths.of(sibling).bad:
                continue  # an ad strip between the box and the listing
            if _aside_box(sibling):
                return item, blocks  # a "Most read" or "Trending" box above the listing: other stories
            rows = _rows_built_alike(sibling, listing)
            if rows:  # the listing's own build: more of its rows, set in a box of their own
                names = _in_box(sibling, rows, root) or _card_names(rows, root, paths)
                if names is None:
                    return item, blocks
                widened = ", ".join([item, *names])
                return widened, [el for el in select(widened, root) if isinstance(el, etree._Element)]
            cards = _featured_cards(sibling, page_url)
            if not cards or any(anc in inside for anc in cards[0][0].iterancestors()):
                continue
            urls = {url for _, url in cards}
            if own is None:
                own = {canonical_url(href, page_url) for href in map(FIRST_HREF, blocks) if href}
            if not own & urls:
                return item, blocks  # the nearest box of stories is another list's: stop there
            if urls <= own:
                return item, blocks  # copies of the listing's stories only: nothing to add, and their titles may differ
            names = _card_names([card for card, _ in cards], root, paths)
            if names is None:
                return item, blocks
            widened = ", ".join([item, *names])
            return widened, [el for el in select(widened, root) if isinstance(el, etree._Element)]
        scope = scope.getparent()
    return item, blocks


def _aside_box(box) -> bool:
    """Whether a box's first heading names it as another kind of list ("Most read", "Trending")."""
    head = next(box.iter(*HEADINGS), None)
    return head is not None and _ASIDE_LABEL.search(text_of(head)) is not None


def _rows_built_alike(box, listing: list) -> list:
    """The few rows of a box built exactly like the listing's rows (same tag and
    classes, same parts), each with a headline: a box of the newest stories
    above the day's list, in the very build of its rows."""
    first = listing[0]
    names = classes_of(first)
    # Only a named build says "the same kind of row": a bare <tr> of bare cells is every table's.
    shapes = {shape for shape in map(_shape, listing[:8]) if names or any(cls for _, cls in shape)}
    rows = []
    for el in box.iter(tag_of(first)):
        if classes_of(el) != names or not any(is_title_text(link_text_of(a)) for a in el.iter("a")):
            continue
        rows.append(el)
        if len(rows) > _FEATURED_MAX:
            return []
    if not shapes or len(rows) < MIN_ITEMS or sum(1 for r in rows if _shape(r) in shapes) * 2 <= len(rows):
        return []
    return rows


def _in_box(box, rows: list, root) -> list[str] | None:
    """One selector for a box's rows by the box's name ("div.news-box article"), if one picks them alone."""
    for name in [f"{tag_of(box)}.{c}" for c in classes_of(box)]:
        selector = f"{name} {tag_of(rows[0])}" + "".join(f".{c}" for c in classes_of(rows[0]))
        if [el for el in select(selector, root) if isinstance(el, etree._Element)] == rows:
            return [selector]
    return None


def _shape(el) -> tuple:
    """An element's children by tag and class: the build of a row."""
    return tuple((tag_of(c), c.get("class")) for c in el if isinstance(c.tag, str))


def _featured_cards(box, page_url: str) -> list[tuple]:
    """(card, its story's URL) for each story card in a box: a link holding a
    heading, or the link of a heading (the card is then the heading's parent)."""
    cards, urls = [], set()
    for h in box.iter(*HEADINGS):
        link = link_ancestor(h, box)
        card = link if link is not None else h.getparent()
        if link is None:
            link = h.find(".//a[@href]")
        href = link.get("href") if link is not None else None
        if not href or SKIP_HREF.match(href) or card is None or card is box:
            continue
        url = canonical_url(href, page_url)
        if url and url not in urls:
            urls.add(url)
            cards.append((card, url))
        if len(cards) > _FEATURED_MAX:
            return []
    return cards if len(cards) >= MIN_ITEMS else []


def _card_names(cards: list, root, paths: Paths) -> list[str] | None:
    """Selectors (`tag.class`, else a path from the nearest id, one per build of
    card) that pick the cards and nothing else, or None."""
    names: list[str] = []
    picked: set = set()
    wanted = set(cards)
    for card in cards:
        if card in picked:
            continue
        for name in [f"{tag_of(card)}.{c}" for c in classes_of(card)] + [path_selector(card, paths)]:
            if name is None:
                continue
            found = [el for el in select(name, root) if isinstance(el, etree._Element)]
            if found and all(el in wanted or _inert(el) for el in found):
                names.append(name)
                picked.update(found)
                break
        else:
            return None
    return names


def _inert(el) -> bool:
    """A link that leads nowhere ("#", "javascript:"): a button, never an item (extraction skips it)."""
    href = el.get("href") if tag_of(el) == "a" else None
    return href is not None and SKIP_HREF.match(href) is not None


def with_list_beside(root, item: str, blocks: list, listing: list, paths: Paths, page_url: str) -> tuple[str, list]:
    """The item selector widened to a second list of the same build right beside the listing.

    A front page sets its stream of stories in two columns, each a list of
    the same build (`ul.stories.col-A`, `ul.stories.col-B`): the grouping by
    parent path sees two lists and takes one.  The next list (a sibling of
    the listing's list, or of its wrapper) joins when it is the same tag
    with a class in common, its rows are the listing's tag, share a class
    with its rows and each hold a headline, it is in the same kind of
    region and no heading between names it as another kind of list.
    """
    homes = Counter(b.getparent() for b in listing)
    mine, count = homes.most_common(1)[0]
    if count * 2 <= len(listing):  # a listing of many small lists: no one list to extend
        return item, blocks
    names = set(classes_of(mine))
    row_tag = tag_of(listing[0])
    row_names = {c for b in listing if b.getparent() is mine for c in classes_of(b)}
    if not names or not row_names or paths.of(mine).bad:
        return item, blocks
    node = mine
    for _ in range(2):
        if node.getparent() is None or tag_of(node) in ("body", "main"):
            break
        siblings = (el for el in node.itersiblings() if isinstance(el.tag, str))
        for seen, sibling in enumerate(siblings):
            if seen >= _LEAD_SIBLINGS or paths.of(sibling).bad:
                break
            if tag_of(sibling) in HEADINGS:
                if _ASIDE_LABEL.search(text_of(sibling)):
                    break
                continue
            rows = _rows_of_list(sibling, mine, names, row_tag, row_names)
            if rows is None:
                continue
            own = [f"{tag_of(sibling)}.{c} > {row_tag}" for c in classes_of(sibling) if c not in names]
            parent = sibling.getparent()
            anchor = next((a.get("id") for a in sibling.iterancestors() if _stable_id(a.get("id"))), None)
            scoped = [f"{tag_of(parent)}.{p} > {o}" for p in classes_of(parent) for o in own]
            for name in own + scoped + [f"#{anchor} {o}" for o in own if anchor]:
                if [el for el in select(name, root) if isinstance(el, etree._Element)] == rows:
                    widened = f"{item}, {name}"
                    return widened, [el for el in select(widened, root) if isinstance(el, etree._Element)]
            return item, blocks
        node = node.getparent()
    return item, blocks


def _stable_id(ident: str | None) -> bool:
    return bool(ident) and CSS_IDENT.match(ident) is not None and not re.search(r"\d", ident)


def _rows_of_list(el, mine, names: set, row_tag: str, row_names: set) -> list | None:
    """The rows of a list built like the listing's (same tag, a class in common; rows
    of the listing's tag sharing a class with its rows, each with a headline), or None."""
    if tag_of(el) != tag_of(mine) or not names & set(classes_of(el)):
        return None
    rows = [c for c in el if isinstance(c.tag, str) and tag_of(c) == row_tag]
    if len(rows) < MIN_ITEMS:
        return None
    for row in rows:
        if not row_names & set(classes_of(row)) or not any(is_title_text(link_text_of(a)) for a in row.iter("a")):
            return None
    return rows
