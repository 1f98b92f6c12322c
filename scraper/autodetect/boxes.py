"""Boxes of stories: a news home page's lead box, and the boxes of other sections.

A news home page is a run of boxes: the lead box of top stories, then a box
per section ("Business", "Longreads", "Reviews"), each headed by a link to
its section's page.  Grouping blocks by their parent's path alone makes two
mistakes.  The lead box builds its stories in several wrappers, so they
fall into several small groups: `split_boxes.py` joins them.  And the
section boxes build theirs alike, so the stories of every section fall
into one big group, often with the lead box's: a group whose blocks lie in
several boxes that end in a run of boxes each headed by a link of its own
to its section's page is cut to the boxes before that run (`lead_boxes`).

Then the boxes themselves (headed by their section names) are no listing
either (`boxes_of`), and the item selector is told which stories to leave
out (scoring.Ranking.set_apart).
"""

from __future__ import annotations

from itertools import islice

from scraper.autodetect.box_titles import (
    HEADING_WORDS, MORE_OF_THE_SAME, SECTION_HEADINGS, opening_heading, own_sub_sections, section_name, section_title,
)
from scraper.autodetect.elements import Paths, tag_of
from scraper.autodetect.texts import is_title_text, link_text_of, text_of
from scraper.autodetect.headings import HEADINGS


def _story_hrefs(block, paths: Paths, most: int = 2) -> set:
    """Where a block's title-like links lead (up to `most` pages)."""
    links = [block] if tag_of(block) == "a" else block.iter("a")
    found = set()
    for a in links:
        if title_like(a, paths):
            found.add(a.get("href"))
            if len(found) >= most:
                break
    return found


def title_like(a, paths: Paths) -> bool:
    """Whether a link leads somewhere with a title's text (or sits in or holds a
    heading); remembered for the detection, as the boxes around a link ask again."""
    known = paths.title_like.get(a)
    if known is None:
        text = link_text_of(a) if a.get("href") else ""
        known = paths.title_like[a] = bool(text) and (is_title_text(text) or a in paths.headings(a).links)
    return known


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
    if own_sub_sections(named, paths.page_url):
        return members
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
        story = next((a for a in sib.iter("a") if a.get("href") and title_like(a, paths)), None)
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
