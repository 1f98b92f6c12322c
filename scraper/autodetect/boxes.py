"""Boxes of stories: a news home page's lead box, and the boxes of other sections.

A news home page is a run of boxes: the lead box of top stories, then a box
per section ("Business", "Longreads", "Reviews"), each headed by a link to
its section's page.  Two mistakes follow from grouping blocks by their
parent's path alone, and each rule here undoes one:

- the lead box builds its stories in several wrappers (a lead story, two
  below it, a column of five beside them), so its stories fall into several
  small groups: groups of blocks built alike (same tag and classes) that
  follow each other with no heading between them are one listing;
- the section boxes build theirs alike, so the stories of every section
  fall into one big group, often with the lead box's: a group whose blocks
  lie in several boxes that end in a run of boxes each headed by a link of
  its own to its section's page is cut to the boxes before that run.

Then the boxes themselves (headed by their section names) are no listing
either (`boxes_of`), and the item selector is told which stories to leave
out (scoring.Ranking.set_apart).
"""

from __future__ import annotations

from itertools import islice

from scraper.autodetect.box_titles import (
    HEADING_WORDS, MORE_OF_THE_SAME, SECTION_HEADINGS, opening_heading, section_name, section_title,
)
from scraper.autodetect.elements import (
    Paths, is_title_text, link_text_of, stable_classes, tag_of, text_of,
)
from scraper.autodetect.headings import HEADINGS
from scraper.memo import string_memo


def _signature(block) -> str:
    """A block's build, by tag and the classes that name it ("div.summary-item")."""
    return _build(tag_of(block), block.get("class") or "")


@string_memo(4096)
def _build(tag: str, names: str) -> str:
    # Memoised: a page repeats a few class attributes thousands of times.
    return tag + "." + ".".join(sorted(c for c in stable_classes(names) if "--" not in c))


def _page_place(el) -> tuple[int, ...]:
    """Where an element sits in the page: its index among its siblings at every
    level from the root.  Sorting by it is sorting in document order (an
    ancestor, a prefix, comes first), each element's place computed once
    rather than two ancestor chains compared for every pair."""
    place = []
    parent = el.getparent()
    while parent is not None:
        place.append(parent.index(el))
        el, parent = parent, parent.getparent()
    return tuple(reversed(place))


def _heading_between(last, first, holders: set) -> bool:
    """Whether a heading starts after `last` (outside it) and before `first` starts
    (an ancestor of `first` counts: it starts before it).

    Only what lies between them is read: what follows `last` up to their
    common ancestor, the children of that ancestor between the two, and what
    precedes `first` below it (libxml2's following axis would read the rest of
    the page when no heading follows).  Nothing lies between them when `first`
    comes before `last` (two groups whose blocks alternate) or either holds
    the other.  `holders` are the page's headings and the elements holding
    one (Headings.holders)."""
    if first is last:  # nothing between: what follows it in its parent is read (as the general walk does)
        return last.getparent() is not None and any(sib in holders for sib in last.itersiblings())
    ancestors = list(last.iterancestors())
    above_last = {el: level for level, el in enumerate(ancestors)}
    if first in above_last:
        return False  # `first` holds `last`: it starts before it
    down = [first]  # from the child of the common ancestor down to `first`
    common = first.getparent()
    while common is not None and common not in above_last:
        if common is last:
            return False  # `last` holds `first`
        down.append(common)
        common = common.getparent()
    if common is None:
        return False
    down.reverse()
    level = above_last[common]
    side = ancestors[level - 1] if level else last  # common's child toward `last`
    if not any(sib is down[0] for sib in side.itersiblings()):
        return False  # `first` comes before `last`
    node = last
    while node is not side:
        if any(sib in holders for sib in node.itersiblings()):
            return True
        node = node.getparent()
    for sib in node.itersiblings():
        if sib is down[0]:
            break
        if sib in holders:
            return True
    for el in down:
        if el is not first and tag_of(el) in HEADINGS:
            return True
        if el is not down[0] and any(sib in holders for sib in el.itersiblings(preceding=True)):
            return True
    return False


_LEAD_PARTS = 2  # a lead story, or two stories below it, in a wrapper of their own


def join_split_boxes(groups: dict, paths: Paths) -> dict:
    """Groups of stories built alike that follow each other with no heading
    between them, joined: one box's stories split over several wrappers.

    A part of one or two stories joins the stories next to it (two lists
    of many stay apart: they are two listings, or one already grouped).
    Only blocks named by a class are joined (a bare <div> or <li> says
    nothing of what it holds), only blocks that each hold one story (not
    layout rows or columns holding many), and only within one kind of region
    (a slider's slides never join the posts below it); a heading between two
    groups starts another box, so the lead box never takes in the section
    boxes after it.
    """
    by_build: dict[tuple, list] = {}
    for key, members in groups.items():
        if not members:
            continue
        first = next(iter(members))
        build = _signature(first)
        if not build.endswith("."):
            node, home = paths.of(first), paths.of(first.getparent())
            by_build.setdefault((build, node.bad, home.main), []).append(key)
    # Only a join that could rank among the groups weighed in full matters.
    sums = sorted((sum(members.values()) for members in groups.values()), reverse=True)
    floor = sums[min(5, len(sums) - 1)] / 2 if sums else 0
    joined = None
    one_story: dict = {}  # key -> whether its blocks hold one story each, read when first needed

    def single(key) -> bool:
        if key not in one_story:
            one_story[key] = _one_story_each(groups[key], paths)
        return one_story[key]

    for keys in by_build.values():
        if len(keys) < 2 or all(len(groups[k]) > _LEAD_PARTS for k in keys) or sum(len(groups[k]) for k in keys) < 3 \
                or sum(sum(groups[k].values()) for k in keys) < floor:
            continue  # nothing in it can join, or the join would be too small a listing to count
        if joined is None:
            joined = dict(groups)
        order = sorted(keys, key=lambda k: _page_place(_first(groups[k])))
        current, small = order[0], len(groups[order[0]]) <= _LEAD_PARTS
        holders = paths.headings(_first(groups[order[0]])).holders
        for key in order[1:]:
            here, there = joined[current], groups[key]
            if (not small and len(there) > _LEAD_PARTS) or _nested(here, there, paths) or not single(current) \
                    or not single(key) or _heading_between(_last(here), _first(there), holders):
                current, small = key, len(there) <= _LEAD_PARTS
                continue
            joined[current] = {**here, **there}
            small = small and len(there) <= _LEAD_PARTS
            del joined[key]
    return groups if joined is None else joined


def _one_story_each(members: dict, paths: Paths) -> bool:
    """Whether every block (of a sample) holds one story: its title-like links all lead to one page.
    A block of more than 20 links is a layout box, whatever they read.  Each
    block's answer is kept for the detection (scoring may join twice)."""
    blocks = list(members)
    sample = blocks[:: max(1, len(blocks) // 8)]
    known = paths.one_story
    for block in sample:
        one = known.get(block)
        if one is None:
            one = known[block] = _one_story(block, paths)
        if not one:
            return False
    return True


_MOST_LINKS = 20


def _one_story(block, paths: Paths) -> bool:
    """Whether a block holds at most 20 links and its title-like links lead to one page
    (one walk for its links, stopped as soon as the answer is no)."""
    own = tag_of(block) == "a"  # a card link: its own text is its story's title
    count = 0
    found = set()
    for a in block.iter("a"):
        href = a.get("href")
        if href is None:
            continue
        count += 1
        if count > _MOST_LINKS:
            return False
        if own and a is not block:
            continue
        if _title_like(a, paths):
            found.add(href)
            if len(found) >= 2:
                return False
    return len(found) == 1


def _story_hrefs(block, paths: Paths, most: int = 2) -> set:
    """Where a block's title-like links lead (up to `most` pages)."""
    links = [block] if tag_of(block) == "a" else block.iter("a")
    found = set()
    for a in links:
        if _title_like(a, paths):
            found.add(a.get("href"))
            if len(found) >= most:
                break
    return found


def _title_like(a, paths: Paths) -> bool:
    """Whether a link leads somewhere with a title's text (or sits in or holds a
    heading); remembered for the detection, as the boxes around a link ask again."""
    known = paths.title_like.get(a)
    if known is None:
        text = link_text_of(a) if a.get("href") else ""
        known = paths.title_like[a] = bool(text) and (is_title_text(text) or a in paths.headings(a).links)
    return known


def _first(members: dict):
    return next(iter(members))


def _last(members: dict):
    return next(reversed(members))


def _nested(one: dict, other: dict, paths: Paths) -> bool:
    """Whether a block of one group holds or sits in a block of the other (levels of one listing):
    the deeper first block is climbed to the other's depth (Paths knows both)."""
    a, b = _first(one), _first(other)
    rise = paths.of(a).depth - paths.of(b).depth
    lower, upper = (a, b) if rise >= 0 else (b, a)
    for _ in range(abs(rise)):
        lower = lower.getparent()
    return lower is upper and a is not b


def lead_boxes(members: dict, paths: Paths) -> dict:
    """The group's lead boxes when its blocks end in a run of boxes of sections, else the group.

    Boxes are the children of the blocks' common container that hold them,
    most of them two blocks or more.  A box of a section opens with a
    section title: its first link with text, leading to no story of the
    group, a name of one to three words, each box's its own, and no date
    or year ("March 2016" heads a month of one archive, not a section).
    The title sits outside the blocks, or in the box's first block only
    (where the other blocks open with their headline, so it is no kicker
    repeated on every story).  A heading that opens the box names it too,
    linked or not; but unlinked names alone make no run (a section front's
    "Headlines", "Climate crisis", "Wildlife" are its own parts): a run
    holds a title linked to its section's page, or follows an untitled
    lead box just before the group, when every box of the group is named
    (then no box of the group leads).  Where blocks' headlines lead is
    remembered for the detection (groups are ranked again when headings
    become clues).
    """
    if len(members) < 4:
        return members
    blocks = list(members)
    container = container_of(blocks)
    if container is None:
        return members
    boxes = _boxes_in(blocks, container)
    if len(boxes) < 2 or sum(1 for inside in boxes.values() if len(inside) >= 2) * 2 <= len(boxes):
        return members
    ordered = list(boxes.items())
    titles = [section_title(box, inside, paths) for box, inside in ordered]
    if not any(t.name for t in titles[1:]):
        return members
    stories = {_remembered_story_href(b, paths) for b in blocks}  # a title leading to one of them is its headline
    named = [t if t.name and t.href not in stories else None for t in titles]
    if all(named) and len({t.name for t in named}) == len(named) and _after_untitled_lead(ordered[0][0], paths):
        return {}
    lead = _lead_count(named)
    if lead is None:
        return members
    first = {block for _, inside in ordered[:lead] for block in inside}
    return {block: title for block, title in members.items() if block in first}


def _boxes_in(blocks: list, container) -> dict:
    """The children of `container` holding the blocks, each with its blocks in order.
    Blocks under one parent share its box, climbed once (the rows of one list)."""
    boxes: dict = {}
    box_of: dict = {}  # a block's parent -> its box
    for block in blocks:
        parent = block.getparent()
        if parent is container:
            box = block
        else:
            box = box_of.get(parent)
            if box is None:
                box, above = parent, parent.getparent()
                while above is not container:
                    box, above = above, above.getparent()
                box_of[parent] = box
        boxes.setdefault(box, []).append(block)
    return boxes


def _lead_count(titles: list) -> int | None:
    """How many boxes lead before the run of section boxes, or None when there is no such run.

    The run starts at the first titled box after the first (a box named as
    more of the lead's stories, "More news", is none); at least two in three
    boxes from there on are titled, each with a name of its own, and one
    title at least links to its section's page (a lead box, headlines, an
    untitled box of more top stories, then "Das Beste von WELTPLUS",
    "Panorama", "Kultur", "Sport" ...)."""
    for start in range(1, len(titles)):
        if not titles[start] or MORE_OF_THE_SAME.search(titles[start].name):
            continue
        named = [t.name for t in titles[start:] if t]
        if len(named) * 3 >= (len(titles) - start) * 2 and len(set(named)) == len(named) \
                and any(t.linked for t in titles[start:] if t):
            return start
        return None
    return None


_LEAD_LOOKBACK = 3  # elements before the group's first box where its lead box may sit


def _after_untitled_lead(box, paths: Paths) -> bool:
    """Whether a box of stories that opens with no heading (a home page's lead
    box) sits just before `box`, beside it in the same container."""
    for sib in islice(box.itersiblings(preceding=True), _LEAD_LOOKBACK):
        story = next((a for a in sib.iter("a") if a.get("href") and _title_like(a, paths)), None)
        if story is not None:
            in_heading = any(tag_of(el) in HEADINGS for el in story.iterancestors() if el is not sib)
            return opening_heading(sib, story) is None and not in_heading
    return False


def named_boxes(members: dict, paths: Paths) -> bool:
    """Whether most blocks are boxes of sections themselves: each opens with a
    heading naming it ("Sport", "Économie"; no link to a story of its own)
    and holds two stories or more (boxes whose stories are not links, set
    by script, count neither way).  Their stories are items, never the
    boxes (a post opens with its own title, and holds one story)."""
    sample = sample_blocks_of(list(members))
    named = boxes = 0
    for block in sample:
        hrefs = _story_hrefs(block, paths, 2)
        if len(hrefs) < 2:
            continue
        boxes += 1
        heading = next(block.iter("h1", *SECTION_HEADINGS), None)
        if heading is None or not section_name(text_of(heading), HEADING_WORDS):
            continue
        link = next((a for a in heading.iter("a") if a.get("href")), None)
        if link is None or link.get("href") not in hrefs:
            named += 1
    return boxes * 3 >= len(sample) and named * 2 >= boxes


def sample_blocks_of(blocks: list, most: int = 8) -> list:
    """At most `most` blocks, spread from the first to the last."""
    return blocks[:: max(1, len(blocks) // most)][:most]


def boxes_of(members: dict, sectioned: list[set]) -> bool:
    """Whether the blocks are boxes (or their insides) holding several stories each of
    one group known to be boxes of sections: the boxes, headed by their section
    names, are no listing either."""
    blocks = list(members)
    sample = blocks[:: max(1, len(blocks) // 8)]
    return any(sum(1 for block in sample if _holds_two(block, stories)) * 2 > len(sample) for stories in sectioned)


def _holds_two(block, stories: set) -> bool:
    """Whether two of `stories` lie inside `block` (its walk stops at the second)."""
    found = 0
    for el in block.iterdescendants():
        if el in stories:
            found += 1
            if found == 2:
                return True
    return False


def container_of(blocks: list):
    """The innermost element holding every block, at whatever depth each sits.

    Each block is climbed only to where it meets the first block's ancestors
    (for the rows of one list, a step or two), not to the root."""
    chain = list(blocks[0].iterancestors())
    place = {el: level for level, el in enumerate(chain)}
    level = 0
    for block in blocks[1:]:
        for anc in block.iterancestors():
            met = place.get(anc)
            if met is not None:
                level = max(level, met)
                break
        else:
            return None  # no ancestor in common
    return chain[level] if level < len(chain) else None


def _remembered_story_href(block, paths: Paths) -> str | None:
    known = paths.story_href
    if block not in known:
        known[block] = _story_href(block, paths)
    return known[block]


def _story_href(block, paths: Paths) -> str | None:
    """Where a block's headline leads: its first link that reads as a title (not a kicker's section link)."""
    return next(iter(_story_hrefs(block, paths, 1)), None)
