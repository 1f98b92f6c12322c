"""The page's headings, seen from their side.

Every stage asks of links and boxes whether a heading sits around or inside
them, or between two of them.  A page has far fewer headings than links and
boxes, so the answers are found once per detection from the headings
(`headings_of`, kept by `elements.Paths.headings`) rather than by walking
each link's ancestors or each box's subtree again and again.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HEADING_SET = frozenset(HEADINGS)


def in_heading(a, levels: int = 3) -> bool:
    """Whether a link sits in a heading (a few levels up) or holds one."""
    node = a
    for _ in range(levels):
        node = node.getparent()
        if node is None:
            break
        tag = node.tag  # tag_of, inlined: asked of most links of a page
        if isinstance(tag, str) and tag.lower() in _HEADING_SET:
            return True
    return len(a) > 0 and next(a.iter(*HEADINGS), None) is not None


@dataclass(frozen=True, slots=True)
class Headings:
    """What the page's headings hold, as sets to ask of links and elements."""

    links: set  # the links in_heading() holds true of
    holders: set  # headings and the elements holding one


def headings_of(root) -> Headings:
    """Headings facts of the page under `root`: each heading's links (three levels
    down at most, as in_heading() looks up) and the links around it, and each
    heading with its ancestors."""
    links: set = set()
    holders: set = set()
    for h in root.iter(*HEADINGS):
        for a in h.iterdescendants("a"):
            if a not in links and in_heading(a):
                links.add(a)
        links.update(h.iterancestors("a"))  # a link holding a heading
        holders.add(h)
        for anc in h.iterancestors():
            if anc in holders:
                break  # and its ancestors: added with an earlier heading
            holders.add(anc)
    return Headings(links, holders)
