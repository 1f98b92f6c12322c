"""Stage 3: the item selector, the simplest CSS that picks the listing's blocks.

The blocks of the winning group, or the wrappers inside them, are named by
their classes, their container's name or, failing both, their path from the
nearest id; a selector that also picks item-like blocks beside the listing
(a featured first item) is accepted, one that picks menus or wrappers is not.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass


from scraper.autodetect.anchors import anchors, placed_anchors, placed_union
from scraper.autodetect.boxes import container_of
from scraper.autodetect.elements import CSS_IDENT, Paths, classes_of, common_ancestor, is_inside, tag_of
from scraper.autodetect.texts import is_title_text, link_text_of
from scraper.autodetect.page_index import PageIndex, Within
from scraper.selectors import SelectorError


@dataclass(frozen=True)
class ItemChoice:
    """The item selector, what it selects, and the listing's own blocks at that level
    (what it selects beyond them are neighbours it could not leave out: `stray`)."""

    selector: str
    blocks: list
    members: list
    clean: bool  # selects the members and item-like neighbours only

    @property
    def stray(self) -> list:
        """Blocks an unclean selector picks that are built unlike every item (a table's
        byline rows between its title rows); extras built like the items are items
        whose titles are short ("Budget 2024")."""
        if self.clean:
            return []
        own = set(self.members)
        shapes = {_shape(b) for b in self.members}
        return [b for b in self.blocks if b not in own and _shape(b) not in shapes]


def _shape(el) -> tuple:
    """An element's children by tag and class: the build of a row."""
    return tuple((tag_of(c), c.get("class")) for c in el if isinstance(c.tag, str))


def choose_level(root, members: list, paths: Paths, max_levels: int = 4, avoid=frozenset()) -> ItemChoice | None:
    """The item selector and the blocks it selects, trying the blocks and the wrappers inside them.

    An inner level wins only when its selector is cleaner or also takes in
    item-like blocks the outer one misses (a featured first item wrapped
    differently); otherwise the outer level keeps summary and date in the block.
    """
    best, best_level = None, None
    level = members
    for _ in range(max_levels):
        found = None if best is not None and _settled(best, level, avoid) else _item_selector(root, level, paths, avoid)
        if found is not None and (best is None or found[1:4] > best[1:4]):
            best, best_level = found, level
        level = _title_children(level, paths.credited)
        if level is None:
            break
    return ItemChoice(best[0], best[4], best_level, best[2]) if best else None


def _settled(best: tuple, level: list, avoid) -> bool:
    """Whether no selector at `level` can beat `best`, known before any is tried.

    `best` already names its blocks cleanly, so a level wins only by picking
    more item-like blocks (`_acceptable_extras`): each an element of a tag the
    level's selectors name (its blocks' tags), inside the listing's
    surroundings, neither around nor inside one of the level's blocks, holding
    a headline-like link.  With no link placed so, a level picks its blocks at
    best: no better, and its dozens of whole-page selections are spared.
    (Table rows are left alone: their heading-row answer may count linkless rows.)"""
    if best[1:4] < (len(level), True, True) or tag_of(level[0]) == "tr":
        return False
    outer = _surroundings(level, avoid)[1]
    if outer is None:
        return True
    own = {a for block in level for a in block.iter("a")}
    tags = {tag_of(block) for block in level}
    around = _ancestors_of(level)
    for a in outer.iterdescendants("a"):
        if a in own or not a.get("href") or not is_title_text(link_text_of(a)):
            continue
        el = a
        while el is not outer:  # an element that could be an extra block holding this link
            if tag_of(el) in tags and el not in around:
                return False
            el = el.getparent()
    return True


def _surroundings(members: list, avoid) -> tuple:
    """The listing's container (where its blocks meet) and the element up to two levels
    above it (short of <body>) within which item-like blocks beside it are accepted."""
    scope = common_ancestor(members)
    if scope is None and avoid:
        scope = container_of(members)  # a lead box's stories sit at several depths
    outer = scope
    for _ in range(2):  # a featured item sits next to the list, not far away
        if outer is not None and outer.getparent() is not None and tag_of(outer.getparent()) != "body":
            outer = outer.getparent()
    return scope, outer


def _title_children(blocks: list, credited: dict) -> list | None:
    """The headline-holding child of every block, or None as soon as one has none."""
    children = []
    for el in blocks:
        child = _title_child(el, credited)
        if child is None:
            return None
        children.append(child)
    return children


def _title_child(el, credited: dict):
    """The one child of a block that holds its headline, if there is exactly one."""
    children = [c for c in el if isinstance(c.tag, str)]
    if len(children) == 1:
        return children[0]
    titled = [c for c in children if c in credited]
    return titled[0] if len(titled) == 1 else None


def _item_selector(root, members: list, paths: Paths, avoid=frozenset()) -> tuple[str, int, bool, bool, list] | None:
    """The simplest selector that picks the listing's blocks and no stray ones.

    Returns the selector, how many item-like blocks it picks, whether it
    picks nothing else, whether it names the blocks (not a bare path), and
    the elements it selects.  Blocks in or around `avoid` (the stories of
    other boxes of sections) are never acceptable extras.
    """
    tag = tag_of(members[0])
    common = set.intersection(*(set(classes_of(el)) for el in _alike(members)))
    own = [f"{tag}.{c}" for c in sorted(common, key=lambda c: (len(c), c))]  # short names first
    own += [tag + "".join("." + c for c in sorted(common))] if len(common) > 1 else []
    own += _shared_attributes(tag, members)
    own.append(tag)
    scope, outer = _surroundings(members, avoid)
    holders = _ancestors_of(avoid) if avoid else set()
    contexts = [""] + [ctx + " " for ctx in anchors(scope, holders)]
    placed = placed_anchors(scope, holders) if avoid else []
    parents = {m.getparent() for m in members}
    parent_classes = set.intersection(*(set(classes_of(p)) for p in _alike(parents))) if parents else set()
    parent_tag = tag_of(next(iter(parents)))
    if parent_classes:
        contexts.append(f"{parent_tag}.{sorted(parent_classes)[0]} > ")
    wanted = set(members)
    fallback = None
    candidates = [context + simple for context in contexts for simple in own]
    if avoid:  # boxes of sections built alike: the lead box by its place, or the lead boxes as a union
        named = own[:2]  # each candidate costs a pass over the page: the block's own names only
        candidates += [ctx + " " + simple for ctx in placed for simple in named]
        if parent_classes:
            parent_name = f"{parent_tag}.{sorted(parent_classes)[0]}"
            candidates += [f"{ctx} {parent_name} > {simple}" for ctx in placed for simple in named]
        candidates += placed_union(members, named)
    candidates[len(own):len(own)] = _with_odd_ones(tag, members)
    if len(parents) == 1 and not parent_classes:  # an unnamed wrapper: its children by their path
        wrapper = path_selector(next(iter(parents)), paths)
        if wrapper:
            candidates.append(f"{wrapper} > {tag}")
    path = path_selector(members[0], paths)
    if path:
        candidates.append(path)
    index = page_index(root, paths)
    in_avoided = Within(avoid)
    judged: dict[int, list[list]] = {}  # what earlier candidates picked, by its size
    for candidate in candidates:
        try:
            chosen = index.select(candidate)  # answered from one walk of the page (page_index.py)
        except SelectorError:
            continue
        if len(chosen) < len(wanted):
            continue
        # Many candidates pick the very same elements ("td", "#app td", "table td"):
        # an earlier one that did was turned down, and so is this one (the verdict
        # depends on the elements alone, and a fallback is only replaced by fewer extras).
        same_size = judged.setdefault(len(chosen), [])
        if any(chosen == earlier for earlier in same_size):  # lists of elements compared by identity, in C
            continue
        same_size.append(chosen)
        extra = [el for el in chosen if el not in wanted]
        if len(chosen) - len(extra) < len(wanted):  # chosen holds no element twice: not every block
            continue
        if avoid and any(in_avoided(el) for el in extra):
            continue
        if tag == "tr":
            # Table rows without any link (the header row, spacers) give no record: harmless.
            extra = [el for el in extra if next(el.iter("a"), None) is not None]
        if not extra or _acceptable_extras(extra, chosen, outer, paths):
            return candidate, len(wanted) + len(extra), True, candidate != path, chosen
        if fallback is None or len(extra) < fallback[0]:
            fallback = (len(extra), candidate, chosen, extra)
    if fallback:
        for candidate in _fenced(scope, fallback[3], own):
            chosen = index.select(candidate)
            if wanted.issubset(chosen) and len(chosen) == len(wanted):
                return candidate, len(wanted), True, True, chosen
    if fallback and _heading_rows(fallback[3], members):
        candidate = fallback[1] + ":not(:first-child)"  # the list's heading row, built like its rows
        chosen = [el for el in fallback[2] if el.getprevious() is not None or el not in fallback[3]]
        if set(index.select(candidate)) == set(chosen):
            return candidate, len(chosen), True, True, chosen
    return (fallback[1], len(members), False, False, fallback[2]) if fallback else None


def _fenced(scope, extra: list, own: list[str]) -> list[str]:
    """Selectors that fence the listing off from a box beside it built alike
    (a "Video picks" box of the same cards below the listing, the same list
    saved once per regional edition): the listing's outermost container that
    holds none of the other box's blocks, named by those of its classes or id
    its siblings lack (the first class is often a layout word both boxes
    share: "module", "wrapper"), or by its place."""
    if scope is None or not extra:
        return []
    chain = [scope, *scope.iterancestors()]
    place = {id(el): i for i, el in enumerate(chain)}
    lowest = len(chain)  # the lowest container of the listing that holds one of the others
    for el in extra:
        cur = el.getparent()
        while cur is not None and id(cur) not in place:
            cur = cur.getparent()
        if cur is not None and place[id(cur)] < lowest:
            lowest = place[id(cur)]
            if lowest == 0:
                return []
    box = chain[lowest - 1] if lowest < len(chain) else None
    if box is None or tag_of(box) in ("html", "body") or box.getparent() is None:
        return []
    shared = {c for sib in box.itersiblings() for c in classes_of(sib)}
    shared |= {c for sib in box.itersiblings(preceding=True) for c in classes_of(sib)}
    names = [f"{tag_of(box)}.{c}" for c in classes_of(box) if c not in shared]
    ident = box.get("id")
    if ident and CSS_IDENT.match(ident) and not re.search(r"\d", ident):
        names.insert(0, "#" + ident)
    names += placed_anchors(box, limit=1)
    return [f"{name} {simple}" for name in names for simple in own[:2]]


def _heading_rows(extra: list, members: list) -> bool:
    """Whether what a selector picks beyond the listing is its heading row(s): each the first
    child of its parent, no item among them, with no headline-like link ("BLOG Entries")."""
    return bool(extra) and all(
        el.getprevious() is None and not any(is_title_text(link_text_of(a)) for a in el.iter("a")) for el in extra
    ) and not any(m.getprevious() is None for m in members)


def page_index(root, paths: Paths) -> PageIndex:
    """The page's index for this detection: every level and the runner-up try the
    same whole-page selectors again, and each is answered once."""
    if paths.index is None or paths.index.root is not root:
        paths.index = PageIndex(root)
    return paths.index


def _with_odd_ones(tag: str, members: list) -> list[str]:
    """A union naming the blocks when most share a class and one or two others have
    an id of their own: a featured first post (<div class="Block" id="NewsContent">)
    above the <div class="BlogPostContent"> rows."""
    counts: Counter = Counter()
    for el, many in _alike(members).items():  # each class in the order the members first show it
        for c in set(classes_of(el)):
            counts[c] += many
    if not counts:
        return []
    name, count = counts.most_common(1)[0]
    if count == len(members) or count * 3 < len(members) * 2 or len(members) - count > 2:
        return []
    parts = [f"{tag}.{name}"]
    for odd in (m for m in members if name not in classes_of(m)):
        ident = odd.get("id")
        if not ident or not CSS_IDENT.match(ident) or re.search(r"\d", ident):
            return []
        parts.append(f"{tag_of(odd)}#{ident}")
    return [", ".join(parts)]


def _alike(elements) -> dict:
    """One element for each class attribute among `elements` (the first with it), and
    how many have it: a listing's thousand rows share a few, and what is read off
    the classes is read once per attribute."""
    counts = Counter([el.get("class") for el in elements])  # first-seen order
    first: dict = {}
    for el in elements:
        first.setdefault(el.get("class"), el)
        if len(first) == len(counts):
            break
    return {first[attribute]: many for attribute, many in counts.items()}


def _shared_attributes(tag: str, members: list) -> list[str]:
    """Names the blocks share besides classes: a schema.org type
    (itemtype=".../Article"), or one id repeated on every block by a template loop."""
    names = []
    for attr in ("itemtype", "id"):
        value = members[0].get(attr)
        if value and '"' not in value and all(m.get(attr) == value for m in members[1:]):
            names.append(f'{tag}[{attr}="{value}"]')
    return names


def _ancestors_of(elements) -> set:
    """Every ancestor of the elements: each climb stops at one met before (its
    ancestors are in already), so boxes of one page share their climb."""
    found: set = set()
    for el in elements:
        anc = el.getparent()
        while anc is not None and anc not in found:
            found.add(anc)
            anc = anc.getparent()
    return found


def _acceptable_extras(extra: list, chosen: list, outer, paths: Paths) -> bool:
    """Extra blocks are fine when each looks like an item next to the listing."""
    chosen_set = set(chosen)
    for el in extra:
        if paths.of(el).bad or outer is None or not is_inside(el, outer):
            return False
        if not any(is_title_text(link_text_of(a)) for a in el.iter("a") if a.get("href")):
            return False
        if any(anc in chosen_set for anc in el.iterancestors()):
            return False
        if any(desc in chosen_set for desc in el.iterdescendants()):
            return False  # the listing's own wrapper ("div" picks it too): it would take every teaser as one item's
    return True


def path_selector(el, paths: Paths, limit: int = 12) -> str | None:
    """A child-combinator path from the nearest id (or the body): exact, if long."""
    parts = []
    cur = el
    for _ in range(limit):
        tag = tag_of(cur)
        if tag in ("body", "html"):
            return "body > " + " > ".join(reversed(parts)) if parts else None
        ident = cur.get("id")
        if cur is not el and ident and CSS_IDENT.match(ident) and not re.search(r"\d", ident):
            return f"#{ident} > " + " > ".join(reversed(parts))
        parts.append(tag + "".join("." + c for c in classes_of(cur)[:2]))
        cur = cur.getparent()
        if cur is None:
            return None
    return None


