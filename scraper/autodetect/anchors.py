"""Names of a listing's container and its ancestors, as the item selector's contexts.

The item selector (item_selector.py) scopes the blocks' own names to where
they sit: "#main", "div.news" (`anchors`), or, on a page of sections built
alike, by place among siblings of one tag ("section.box:nth-of-type(4)",
`placed_anchors`); `placed_union` names blocks spread over a few such boxes.
"""

from __future__ import annotations

import re

from scraper.autodetect.boxes import container_of
from scraper.autodetect.elements import CSS_IDENT, classes_of, tag_of


def anchors(scope, holders=frozenset(), limit: int = 6) -> list[str]:
    """Names of the listing's container and its ancestors: '#id' or 'tag.class'
    (up to one that holds blocks to leave out: `holders`)."""
    found = []
    for el in _containers(scope, holders, limit):
        ident = el.get("id")
        if ident and CSS_IDENT.match(ident) and not re.search(r"\d", ident):
            found.append("#" + ident)
        classes = classes_of(el)
        if classes:
            found.append(tag_of(el) + "." + classes[0])
    return found


def _containers(scope, holders, limit: int):
    """`scope` and its ancestors, at most `limit`, up to <body> or to one of `holders`
    (an element that holds blocks to leave out): the elements anchors are named after."""
    el = scope
    for _ in range(limit):
        if el is None or tag_of(el) in ("html", "body", "") or el in holders:
            return
        yield el
        el = el.getparent()


def placed_union(members: list, own: list[str]) -> list[str]:
    """Selectors naming the listing's blocks box by box ("section.c-stage:nth-of-type(4) div.item,
    section.c-stage:nth-of-type(16) div.item"), when they lie in a few boxes of one container."""
    container = container_of(members)
    boxes: list = []
    for block in members:
        box = block
        while box.getparent() is not container and box.getparent() is not None:
            box = box.getparent()
        if box is not block and box not in boxes:
            boxes.append(box)
    if not 2 <= len(boxes) <= 4:
        return []
    names = [placed_anchors(box, limit=1)[0] for box in boxes]  # boxes hold none of the others' stories
    return [", ".join(f"{name} {simple}" for name in names) for simple in own]


def placed_anchors(scope, holders=frozenset(), limit: int = 6) -> list[str]:
    """The listing's container and its ancestors named by class (if any) and place
    among their siblings of one tag ("section.box:nth-of-type(1)", "div:nth-of-type(8)")."""
    found = []
    for el in _containers(scope, holders, limit):
        classes = classes_of(el)
        place = 1 + sum(1 for sib in el.itersiblings(preceding=True) if sib.tag == el.tag)
        found.append(f"{tag_of(el)}{'.' + classes[0] if classes else ''}:nth-of-type({place})")
    return found
