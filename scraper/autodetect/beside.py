"""Stage 3, continued: boxes of the listing's own stories set beside it.

The grouping by parent path sees one list; a listing's stories are often
set in more than one: a box of featured cards above the full list, a box of
the newest rows above the day's list, a second column beside the first.
Each joins the listing by a union of selectors when it shows that it is
the same listing (it repeats one of its stories, or its rows are built
exactly like the listing's) and no heading names it another kind of list.
"""

from __future__ import annotations

import re
from collections import Counter

from scraper.autodetect.elements import CSS_IDENT, Paths, classes_of, common_ancestor, is_inside, link_ancestor, tag_of
from scraper.autodetect.texts import SKIP_HREF, first_href, is_title_text, link_text_of, text_of
from scraper.autodetect.headings import HEADINGS
from scraper.autodetect.item_selector import path_selector
from scraper.autodetect.scoring import MIN_ITEMS
from scraper.autodetect.box_titles import opening_heading
from scraper.autodetect.widening import ASIDE_LABEL, LEAD_SIBLINGS, site_sections, widened
from scraper.selectors import select_elements
from scraper.urls import canonical_url

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
            if seen >= LEAD_SIBLINGS:
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
                return widened(item, names, root)
            cards = _featured_cards(sibling, page_url)
            if not cards or any(anc in inside for anc in cards[0][0].iterancestors()):
                continue
            urls = {url for _, url in cards}
            if own is None:
                own = {canonical_url(href, page_url) for href in map(first_href, blocks) if href}
            if not own & urls:
                return item, blocks  # the nearest box of stories is another list's: stop there
            if urls <= own:
                return item, blocks  # copies of the listing's stories only: nothing to add, and their titles may differ
            names = _card_names([card for card, _ in cards], root, paths)
            if names is None:
                return item, blocks
            return widened(item, names, root)
        scope = scope.getparent()
    return item, blocks


def _aside_box(box) -> bool:
    """Whether a box's first heading names it as another kind of list ("Most read", "Trending")."""
    head = next(box.iter(*HEADINGS), None)
    return head is not None and ASIDE_LABEL.search(text_of(head)) is not None


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
        if select_elements(selector, root) == rows:
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
            found = select_elements(name, root)
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
            if seen >= LEAD_SIBLINGS or paths.of(sibling).bad:
                break
            if tag_of(sibling) in HEADINGS:
                if ASIDE_LABEL.search(text_of(sibling)):
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
                if select_elements(name, root) == rows:
                    return widened(item, [name], root)
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


_BOX_LEVELS = 2  # the listing's container, and its wrapper: where untitled boxes beside it sit


def with_untitled_boxes(root, item: str, blocks: list, listing: list, paths: Paths, page_url: str) -> tuple[str, list]:
    """The item selector widened to untitled boxes of the listing's own kind of row around it.

    A home page sets its stream in several boxes of one container: a few hero
    stories above the list and a few more below it, each row built apart
    (`article.hero-module__story.mod-story` around `article.story-list-story.mod-story`;
    Le Monde's lead cards `article > a > h2` above its list of `a > figure > h3`),
    so no selector of the list's rows picks them.  A box beside the listing
    (before or after it, ads and scripts between) joins when nothing names it
    another list (no heading opens it, none reads "Most read"), it holds a few
    rows (up to 8) of the listing's tag sharing a class most of its rows have
    (for rows that are bare links, links holding a heading), each with a
    headline link, and they lead to the part of the site where the listing's
    stories live but to none of its stories (a box repeating them is a recap,
    no part of the stream).  A box that opens with a heading (a section's box)
    ends the search on that side.
    """
    tag = tag_of(listing[0])
    counts = Counter(c for b in listing[:8] for c in set(classes_of(b)))
    names = {c for c, n in counts.items() if n * 4 >= 3 * min(8, len(listing))}  # what (nearly) every row is
    scope = common_ancestor(listing)
    if scope is None or not (names or (tag == "a" and all(_card_link(b) for b in listing[:8]))):
        return item, blocks  # rows named by a class, or bare card links holding a heading
    inside = set(blocks)
    known: list = []  # the listing's site sections, read once a box of rows is met (a long listing costs)

    def ours(box: list) -> bool:  # where the listing's stories live, none of them again
        if not known:
            known.extend((site_sections(listing, page_url), _story_urls(listing, page_url)))
        return _same_part_of_site(site_sections(box, page_url), known[0], len(listing)) and not (
            _story_urls(box, page_url) & known[1])

    rows: list = []
    for child in scope:  # a box set among the rows themselves (a regional box inside the stream)
        if isinstance(child.tag, str) and child not in inside and len(child) and not paths.of(child).bad:
            box = _untitled_rows(child, tag, names, inside, paths)
            if box and ours(box):
                rows.extend(box)
    for _ in range(_BOX_LEVELS):
        if scope.getparent() is None or tag_of(scope) in ("body", "html", "main"):
            break
        for preceding in (True, False):
            seen = 0
            for sibling in scope.itersiblings(preceding=preceding):
                if not isinstance(sibling.tag, str) or tag_of(sibling) in ("script", "style", "template"):
                    continue
                seen += 1
                if seen > LEAD_SIBLINGS:
                    break
                if paths.of(sibling).bad:
                    continue  # an ad strip between
                box = _untitled_rows(sibling, tag, names, inside, paths)
                if box is None:
                    break
                if box and ours(box):
                    rows.extend(box)
        scope = scope.getparent()
    if not rows:
        return item, blocks
    extra = _card_names(rows, root, paths)
    if extra is None:
        return item, blocks
    return widened(item, extra, root)


def _untitled_rows(box, tag: str, names: set, inside: set, paths: Paths) -> list | None:
    """The few rows of a box of the listing's tag sharing a class with its rows, each with a
    headline link; [] when it holds none (an ad, a ticker), None when a heading names it."""
    if tag_of(box) in HEADINGS or _aside_box(box):
        return None
    rows = []
    for el in box.iterdescendants(tag):
        if el in inside or not (names & set(classes_of(el)) if names else _card_link(el)) or paths.of(el).bad:
            continue  # (a row in an <aside> or a sidebar is no story of the listing's)
        if rows and is_inside(el, rows[-1]):
            continue  # a row inside a row
        if not any(is_title_text(link_text_of(a)) for a in el.iter("a") if a.get("href")):
            continue
        rows.append(el)
        if len(rows) > _FEATURED_MAX:
            return []
    if rows and opening_heading(box, rows[0]) is not None:
        return None
    return rows


def _story_urls(blocks: list, page_url: str) -> set[str]:
    """Where the blocks' first links lead."""
    return {canonical_url(href, page_url) for href in map(first_href, blocks) if href}


def _card_link(el) -> bool:
    """Whether a link holds a heading: a story's card, not a link in a list of related stories."""
    return el.get("href") is not None and next(el.iterdescendants(*HEADINGS), None) is not None


def _same_part_of_site(found: set, sections: set, rows: int) -> bool:
    """Whether a box's stories live where the listing's do: in its sections (host and first
    path segment), or, when the listing itself mixes sections (a home page's stream, most
    rows a section of their own), on its site (lemonde.fr: its blogs on subdomains count)."""
    if found <= sections:
        return True
    if len(sections) * 2 <= rows:
        return False
    sites = {_site(host) for host, _ in sections}
    return all(_site(host) in sites for host, _ in found)


def _site(host: str) -> str:
    """A host's site: its last two labels, three under a country's second level ("bbc.co.uk")."""
    labels = host.split(".")
    keep = 3 if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


_SECOND_LEVEL = frozenset({"co", "com", "ac", "gov", "org", "net", "or", "ne", "go", "edu"})
