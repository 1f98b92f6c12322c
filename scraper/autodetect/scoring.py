"""Stage 2: which candidate group is the page's main listing.

Each group is scored by its blocks' headline text and other text (summaries,
dates): more inside the main content, much less inside navigation, header,
footer, sidebars, pagers and share bars.  Stray blocks and groups that are
the page's own parts (banner, navbar, body, footer) are set aside first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import partial
from operator import eq, methodcaller

from scraper.autodetect.boxes import boxes_of, lead_boxes, named_boxes
from scraper.autodetect.split_boxes import join_split_boxes
from scraper.autodetect.elements import Paths, classes_of, is_inside, link_ancestor, tag_of
from scraper.autodetect.texts import LINK_TEXTS, first_href, is_title_text, link_text_of
from scraper.markup import string_value
from scraper.autodetect.headings import HEADINGS
from scraper.autodetect.post_index import indexed_posts
from scraper.autodetect.whole_posts import within_one_post
from scraper.text import normalise_space

SAMPLE = 8  # blocks examined to infer headline, summary, link and date
MIN_ITEMS = 2


@dataclass(frozen=True)
class Ranking:
    """The main listing's blocks and score, and the best other listing's (one
    that is no level of the same listing): how sure the choice is."""

    best: list | None
    score: float = 0.0
    runner_up: list | None = None
    runner_up_score: float = 0.0
    set_apart: frozenset = frozenset()  # stories of other boxes of sections: the item selector must leave them out


def best_group(groups: dict, paths: Paths) -> list | None:
    """The blocks of the main listing (see rank_groups)."""
    return rank_groups(groups, paths).best


def rank_groups(groups: dict, paths: Paths) -> Ranking:
    """The main listing: most headline text, then most other text; and the runner-up.

    Only the six groups with most headline text are weighed in full (less
    stray blocks, and not when they are the page's parts): the cost stays
    flat however many groups the links make.
    """
    groups = join_split_boxes(groups, paths)
    scored = []
    for members in groups.values():
        if len(members) < MIN_ITEMS:
            continue
        members = _cards_of_links(members)
        first = next(iter(members))
        node = paths.of(first)
        factor = 0.15 if node.bad else 1.5 if paths.of(first.getparent()).main else 1.0
        scored.append((sum(members.values()) * factor, node.depth, members, factor))
    scored.sort(key=lambda s: -s[0])
    best_score, best_depth, best_items, best_titles, weighed = None, 0, None, 0.0, 0
    weighed_groups = []
    sectioned: list[set] = []  # the stories of boxes of sections, a set per group: their boxes are no listing either
    other_boxes: set = set()  # ... of the boxes after the lead boxes
    for titles, depth, members, factor in scored:
        same_class = _alike(members)  # asked twice below: a listing may hold thousands of blocks
        kept = _without_strays(members, same_class)
        if sectioned and boxes_of(kept, sectioned):
            continue
        lead = lead_boxes(kept, paths) if factor > 0.15 else kept  # a sidebar's boxes are weighed down already
        if len(lead) < len(kept):
            sectioned.append(set(kept))
            other_boxes.update(b for b in kept if b not in lead)
            kept = lead
        if len(kept) < MIN_ITEMS or _page_sections(kept, same_class if kept is members else None) \
                or named_boxes(kept, paths):
            continue
        if _taxonomy_links(kept):  # weighed here, not for every group: it reads the blocks' links
            factor *= 0.15
            titles *= 0.15
            weighed -= 1  # a label widget does not take the place of a listing among the six
        if len(kept) < len(members):
            titles = sum(kept.values()) * factor
        items = list(kept)
        sample = sample_blocks(items)
        other = sum(_other_text(el, paths) for el in sample) * len(items) / len(sample) * factor
        score = titles + 0.6 * other
        weighed_groups.append((score, items))
        if best_score is None or score > best_score * 1.0001 or (score >= best_score * 0.9999 and depth < best_depth):
            best_score, best_depth, best_items, best_titles = score, depth, items, titles / factor
        weighed += 1
        if weighed == 6:
            break
    if best_items is None:
        return Ranking(None)
    indexed = indexed_posts(best_items, [items for _, items in sorted(weighed_groups, key=lambda g: -g[0])], paths,
                            sample_blocks)
    if indexed is not None:  # a list of links to the posts beside them (see post_index): weighed as a sidebar
        weighed_groups = [(score * 0.15 if items is best_items or _overlap(items, best_items) else score, items)
                          for score, items in weighed_groups]  # the list's other levels (its links, its rows) too
        best_score, best_items = next((score, items) for score, items in weighed_groups if items is indexed)
    else:
        outer = _enclosing_items(best_items, groups, best_titles)
        if outer is not None:
            best_items = outer
    runner = next(((score, items) for score, items in sorted(weighed_groups, key=lambda g: -g[0])
                   if not _overlap(items, best_items)), None)
    apart = frozenset(other_boxes - set(best_items))
    return Ranking(best_items, best_score, runner[1] if runner else None, runner[0] if runner else 0.0, apart)


def _cards_of_links(members: dict) -> dict:
    """Links that come two or more to a card (an event's title and its venue) stand
    for their cards: the card is the item, not each of its links.

    A list's links each have a row of their own; when three or more parents
    each hold several of the group's links, the parents are the items.  So
    with table cells: a thread's title cell and its "last post by" cell are
    one row, the item.
    """
    if tag_of(next(iter(members))) not in ("a", "td"):
        return members
    cards: dict = {}
    for link, title in members.items():
        parent = link.getparent()
        cards[parent] = max(cards.get(parent, 0), title)
    if len(cards) < 3 or len(members) < 1.5 * len(cards) or None in cards:
        return members
    return cards


def _overlap(blocks: list, others: list) -> bool:
    """Whether two groups are levels of one listing (a block of one is, holds or sits in a block of the other)."""
    mine, theirs = set(blocks), set(others)
    for el, other_set in ((b, theirs) for b in blocks[:3]):
        if el in other_set or any(anc in other_set for anc in el.iterancestors()):
            return True
    return any(anc in mine for b in others[:3] for anc in b.iterancestors())


def _enclosing_items(blocks: list, groups: dict, titles: float) -> list | None:
    """The posts of a listing when `blocks` are a list inside one of them, or inside each.

    A blog page of four long posts loses to the run of book links inside one
    post (more links, more text), and a forum index to the sub-forum links
    under each forum's title: those links lie inside the blocks of another
    group whose every block opens with a linked heading that ranks above any
    heading of the inner list (the post's <h1> over the list's <h2>).  Then the
    posts are the listing.  Levels in between too light to be the posts
    (the list around each row's links) are passed over.
    """
    inner_rank = None  # the inner list's highest heading: read (all its blocks) only once needed
    homes = None  # the blocks' parents, each once: read only once needed
    first = blocks[0]
    for anc in first.iterancestors():
        if tag_of(anc) in ("body", "html"):
            return None
        for members in groups.values():
            if anc not in members or len(members) < MIN_ITEMS:
                continue
            if homes is None:
                homes = list(dict.fromkeys(b.getparent() for b in blocks))
            if not _homes_inside(homes, members):
                return None
            if sum(members.values()) < titles / 2 and not within_one_post(blocks, members, sample_blocks):
                continue  # a level too light to be the posts (the list around each row's links): look higher
            outer = list(members)
            ranks = [_title_rank(b) for b in outer]
            if all(ranks) and inner_rank is None:
                inner_rank = min((tag_of(h) for b in blocks for h in b.iter(*HEADINGS)), default="h9")
            if all(ranks) and max(ranks) < inner_rank and _before(_title_heading(anc), first, anc):
                kept = _without_strays(members)
                return list(kept) if len(kept) >= MIN_ITEMS and not _page_sections(kept) else None
    return None


def _title_heading(block):
    """A block's first heading with a link in or around it (a post's title)."""
    for h in block.iter(*HEADINGS):
        if h.find(".//a[@href]") is not None or link_ancestor(h, block) is not None:
            return h
    return None


def _title_rank(block) -> str | None:
    head = _title_heading(block)
    return tag_of(head) if head is not None else None


def _before(el, other, container) -> bool:
    """Whether `el` comes before `other` in `container` (and is not around it)."""
    if el is None:
        return False
    for node in container.iter():
        if node is other:
            return False
        if node is el:
            return not is_inside(other, el)
    return False


def _homes_inside(homes: list, outer) -> bool:
    """Whether every block lies strictly inside a block of `outer` (one post, or
    each of many rows: a forum's sub-forum links under each forum's title),
    asked of the blocks' parents (`homes`, each once: the thousand rows of one
    list share one), each of which must be or lie in a block of `outer`.  Each
    is climbed only to an element already known to be inside or outside."""
    known: dict = {}  # element -> whether it is, or lies in, a block of `outer`
    for home in homes:
        path = []
        node = home
        while node is not None and node not in known:
            if node in outer:
                known[node] = True
                break
            path.append(node)
            node = node.getparent()
        found = node is not None and known[node]
        known.update((el, found) for el in path)
        if not found:
            return False
    return True


def _all_inside(blocks: list, container) -> bool:
    """Whether `container` holds every block (each strictly inside it: elements.is_inside
    for a whole listing at once): each block is
    climbed only to an element already known to be inside, so the thousand
    rows of one list cost a step each."""
    inside = {container}  # the container, and elements found strictly inside it
    for block in blocks:
        path = []
        node = block.getparent()
        while node is not None and node not in inside:
            path.append(node)
            node = node.getparent()
        if node is None:
            return False
        inside.update(path)
    return True


# Pages that list other pages, never an item's own: labels, tags, categories,
# authors, archives by date ("/search/label/Bots", "/tag/news/", "?cat=3").
_TAXONOMY = re.compile(
    r"/(search/label|labels?|tags?|category|categories|categoria|kategorie|topics?|authors?|archives?)(/|$)"
    r"|/\d{4}/(\d{2}/?)?$|[?&](tag|cat|category|label|author|m)=",
    re.I,
)


def _taxonomy_links(members: dict) -> bool:
    """Whether the blocks' links mostly lead to label, tag, category or archive pages
    (a label widget, a tag cloud, an archive by month): a list of lists, no listing."""
    sample = sample_blocks(list(members))
    hrefs = [first_href(b) for b in sample]
    return sum(1 for h in hrefs if h and _TAXONOMY.search(h)) * 5 >= len(hrefs) * 4


def headed(blocks: list) -> bool:
    """Most blocks hold a linked heading: teasers, not a column of bare links."""
    def linked_heading(block) -> bool:
        return any(h.find(".//a[@href]") is not None or link_ancestor(h, block) is not None
                   for h in block.iter(*HEADINGS))
    return sum(map(linked_heading, blocks)) * 2 > len(blocks)


_CLASS_OF = methodcaller("get", "class")


def _alike(blocks) -> bool:
    """All blocks carry the same class attribute (the common case, checked first as it is cheap:
    compared in C, stopping at the first that differs, as a listing may hold thousands)."""
    first = next(iter(blocks)).get("class")
    return all(map(partial(eq, first), map(_CLASS_OF, blocks)))


def _page_sections(blocks, alike: bool | None = None) -> bool:
    """Blocks that share no class and mostly differ in class are a page's
    parts (cookie banner, top strip, navbar, body, footer), not the rows of a
    listing, which share a class or have none at all.  `alike`: _alike(blocks), if known."""
    if _alike(blocks) if alike is None else alike:
        return False
    looks = Counter(classes_of(b) for b in blocks)
    if looks.most_common(1)[0][1] * 2 > len(blocks):
        return False
    if _rows_named_alike(blocks):
        return False
    return not set.intersection(*(set(look) for look in looks))


def _rows_named_alike(blocks) -> bool:
    """Many blocks of a story or two each, most sharing one class ("teaser"),
    each with modifiers of its own ("teaser--big economy"), and every other one holding a headline of
    its own (a promo, a box of three stories): the rows of a listing, not a
    page's few parts.  A block that holds no headline among them (a section's
    title, "Longreads") says the run is split into sections: left as it was."""
    if len(blocks) < 8:
        return False
    commonest = _commonest_class(blocks)
    if commonest is None:
        return False
    name, count = commonest
    if count * 3 < len(blocks) * 2:
        return False
    rows = sample_blocks([b for b in blocks if name in classes_of(b)])
    if sum(1 for b in rows if _headlines_in(b) <= 2) * 3 < len(rows) * 2:
        return False  # boxes of many stories each: a page's sections
    return all(_headlines_in(b) for b in blocks if name not in classes_of(b))


def _headlines_in(block) -> int:
    """How many links of a block read as headlines."""
    return sum(1 for a in block.iter("a") if is_title_text(link_text_of(a)))


def _without_strays(members: dict, alike: bool | None = None) -> dict:
    """The group less a block or two of another kind that shares its place.

    Grid columns whose classes carry digits (col-md-8, col-md-4) all look
    alike, so a sidebar box lands in the group of the press releases beside
    it; when most blocks share a class, the few without it are strays, unless
    they sit beside the others (a featured first card styled apart is an item).
    `alike`: _alike(members), if known.
    """
    if len(members) < 3 or (_alike(members) if alike is None else alike):
        return members
    commonest = _commonest_class(members)
    if commonest is None:
        return members
    name, count = commonest
    if count == len(members) or count * 3 < len(members) * 2:
        return members
    homes = {block.getparent() for block in members if name in classes_of(block)}
    return {block: title for block, title in members.items() if name in classes_of(block) or block.getparent() in homes}


def _commonest_class(blocks: list) -> tuple[str, int] | None:
    """The class most of the blocks carry and how many carry it (None if none has
    a class): what a run's rows share, and so what sets a block apart from them."""
    counts = Counter(c for block in blocks for c in set(classes_of(block)))
    return counts.most_common(1)[0] if counts else None


_OTHER_CAP = 300  # characters of other text that count for a block: a teaser's worth


def _other_text(el, paths: Paths) -> float:
    """Length of an element's text outside links (summaries, dates), up to _OTHER_CAP;
    remembered for the detection (groups are ranked again when headings become clues)."""
    found = paths.other_text.get(el)
    if found is None:
        found = paths.other_text[el] = _capped_other_text(el, paths)
    return found


def _capped_other_text(el, paths: Paths) -> float:
    """min(text outside links, weighed down in a sidebar, _OTHER_CAP).

    A container's text may run to a whole listing's, while only whether it
    passes the cap matters: when the start of its text, less all its link
    text, passes the cap already, the rest is not measured (the measured
    length of a text's start is never more than the text's).
    """
    factor = 0.15 if paths.of(el).bad else 1.0
    links = _link_text_length(el)
    text = string_value(el)
    start = 2 * links + 4000  # characters enough, most often, to pass the cap with room for the links and blanks
    if len(text) > 2 * start:
        if max(len(normalise_space(text[:start])) - links, 0) * factor >= _OTHER_CAP:
            return _OTHER_CAP
    return min(max(len(normalise_space(text)) - links, 0) * factor, _OTHER_CAP)


def _link_text_length(el) -> int:
    """The length of all link texts inside `el` (a container's may be hundreds),
    read from the detection's memo directly."""
    known = LINK_TEXTS.get() or {}
    total = 0
    for a in el.iter("a"):
        text = known.get(a)
        total += len(text if text is not None else link_text_of(a))
    return total


def sample_blocks(blocks: list) -> list:
    """At most SAMPLE blocks, spread evenly from the first to the last: inference costs
    the same however long the listing, and every part of it is looked at."""
    if len(blocks) <= SAMPLE:
        return blocks
    step = (len(blocks) - 1) / (SAMPLE - 1)
    return [blocks[round(i * step)] for i in range(SAMPLE)]

