"""A box of stories split over several wrappers, joined into one group.

A news home page's lead box builds its stories in several wrappers (a lead
story, two below it, a column of five beside them), so grouping blocks by
their parent's path puts its stories into several small groups.  Groups of
blocks built alike (same tag and classes) that follow each other with no
heading between them are one listing (`join_split_boxes`); the boxes of
other sections after it are told apart by `boxes.py`.
"""

from __future__ import annotations

from scraper.autodetect.boxes import title_like
from scraper.autodetect.elements import Paths, stable_classes, tag_of
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
        if title_like(a, paths):
            found.add(href)
            if len(found) >= 2:
                return False
    return len(found) == 1


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
