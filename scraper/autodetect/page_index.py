"""What whole-page selectors pick, answered without a libxml2 XPath run each.

The item-selector search (item_selector.py) tries dozens of selectors on the
whole page ("div.card", "#main div.card", "ul.news > li", "#form > div > div");
each XPath run walks every element, and a scoped one walks the page twice.
The forms detection writes are answered here instead: a compound
("li.item", "div#lead", "#main", "section.box:nth-of-type(4)") from the
page's elements of that tag (one libxml2 walk per tag, in C) or with that id,
its classes tested in Python as libxml2 tests them, its place among its
siblings of that tag numbered once per tag; a chain left to right, "A > B" keeping B's elements whose
parent A picks and "A B" those inside an element A picks (by CSS's
definition); each compound and each step remembered for the detection.
Anything else goes to libxml2.  Every answer is the list libxml2 gives: the
same elements, in page order.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from lxml import etree

from scraper.autodetect.elements import is_inside
from scraper.selectors import IDENT, chain_tokens, has_class, select_elements

# One compound of the forms detection writes (wider than selectors' walk, which takes no ids): a tag with classes and ids
# ("div", "li.item.news", "div#lead"), or an id alone ("#main").
# A tag's compound may end in its place among its siblings of that tag
# ("section.box:nth-of-type(4)"), as the item selector names the boxes of a
# page of sections.
_COMPOUND = re.compile(
    rf"^(?:[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:[.#]{IDENT})*(?::nth-of-type\([1-9][0-9]*\))?"
    rf"|#{IDENT})$"
)
_PLACE = re.compile(r":nth-of-type\(([0-9]+)\)$")
_TAG = re.compile(r"^[a-z][a-z0-9-]*")
_PART = re.compile(rf"([.#])({IDENT})")
# Every id attribute, as smart strings (each knows its element): libxml2 scans
# attributes for "//@id" faster than it tests "[@id]" on every element.
_IDS_OF_PAGE = etree.XPath("//@id")
_IDS_BELOW = etree.XPath("descendant-or-self::*/@id")


class PageIndex:
    """What selectors pick in one page (each selector, and each step of a
    chain, answered once), from its elements by tag and by id."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.picked: dict[str, list] = {}
        self._by_tag: dict[str, list] = {}
        self._by_id: dict[str, list] | None = None
        self._numbered: dict[str, dict] = {}
        self._classed: dict[str, dict[str, list]] = {}
        self._placed: dict[str, dict] = {}
        self._sets: dict[str, set] = {}  # what a compound picks, as a set
        self._at: dict[str, list[int]] = {}  # a compound's elements' numbers among their tag's

    def select(self, expr: str) -> list:
        """The elements `expr` picks in the page, in page order (as
        scraper.selectors.select gives them); SelectorError when it is invalid."""
        found = self.picked.get(expr)
        if found is None:
            chains = [chain_tokens(alternative, _COMPOUND.match) for alternative in expr.split(", ")]
            if all(chains) and (len(chains) == 1 or all(_TAG.match(chain[-1]) for chain in chains)):
                found = self._union(chains)
            else:
                found = select_elements(expr, self.root)
            self.picked[expr] = found
        return found

    def _union(self, chains: list[list[str]]) -> list:
        """The elements any chain picks, in page order: the page's elements of
        their tags walked once (in libxml2), those picked kept."""
        if len(chains) == 1:
            return self._chain(chains[0])
        picked = {el for chain in chains for el in self._chain(chain)}
        tags = {_TAG.match(chain[-1]).group() for chain in chains}
        if len(tags) == 1:  # one tag: sorted by the elements' numbers among the tag's
            return sorted(picked, key=self._numbers(tags.pop()).__getitem__)
        return [el for el in self.root.iter(*tags) if el in picked]

    def _chain(self, chain: list[str]) -> list:
        """Compounds joined by " " and " > ", read left to right: each step keeps the
        elements of its compound that lie inside / directly under the last step's."""
        key = "".join(chain)
        found = self.picked.get(key)
        if found is not None:
            return found
        if len(chain) == 1:
            found = self._compound(chain[0])
        else:
            homes, picked = self._chain(chain[:-2]), self._compound(chain[-1])
            if chain[-2] == " > ":
                found = self._children(homes, chain[-1], picked)
            else:
                found = self._inside(homes, chain[-1], picked)
        self.picked[key] = found
        return found

    def _children(self, homes: list, compound: str, picked: list) -> list:
        """The elements of `picked` (what `compound` picks) whose parent is one of
        `homes`, in page order: from the homes' children when they are fewer (a few
        lists among the page's thousand divs), else by each element's parent."""
        tag = _TAG.match(compound)
        if tag is None or sum(len(home) for home in homes) * 2 >= len(picked):
            home_set = set(homes)
            return [el for el in picked if el.getparent() in home_set]
        members = self._sets.get(compound)
        if members is None:
            members = self._sets[compound] = set(picked)
        found = [child for home in homes for child in home if child in members]
        if len(homes) > 1:  # a home inside another: its children come amid the other's
            numbers = self._numbers(tag.group())
            found.sort(key=numbers.__getitem__)
        return found

    def _inside(self, homes: list, compound: str, picked: list) -> list:
        """The elements of `picked` (what `compound` picks) inside, not at, an element
        of `homes`, in page order.

        Those inside one home are a run of `picked` (a subtree is one stretch of
        the page): it starts at the home's first element of the compound's tag,
        found by its number among the page's elements of that tag, and ends
        where the elements stop being inside the home, found by halving."""
        if not homes or not picked:
            return []
        home_set = set(homes)
        tag = _TAG.match(compound)
        if tag is None:  # an id alone: few elements, each climbs
            return [el for el in picked if any(anc in home_set for anc in el.iterancestors())]
        in_home = Within(home_set)
        numbers = self._numbers(tag.group())
        at = self._at.get(compound)
        if at is None:  # ascending: picked is in page order
            at = self._at[compound] = [numbers[el] for el in picked]
        runs = []
        for home in homes:
            if len(homes) > 1 and in_home(home.getparent()):
                continue  # inside another home: its run lies in that one's
            first = next(home.iterdescendants(tag.group()), None)
            if first is None:
                continue
            start = bisect_left(at, numbers[first])
            low, high = start, len(picked)
            while low < high:  # the first of picked from `start` on that is not inside `home`
                middle = (low + high) // 2
                if is_inside(picked[middle], home):
                    low = middle + 1
                else:
                    high = middle
            if low > start:
                runs.append((start, low))
        runs.sort()
        return [el for start, end in runs for el in picked[start:end]]

    def _numbers(self, tag: str) -> dict:
        """Each element of a tag's number among the page's elements of that tag."""
        found = self._numbered.get(tag)
        if found is None:
            found = self._numbered[tag] = {el: i for i, el in enumerate(self._elements(tag))}
        return found

    def _elements(self, tag: str) -> list:
        found = self._by_tag.get(tag)
        if found is None:
            found = self._by_tag[tag] = list(self.root.iter(tag))
        return found

    def _compound(self, compound: str) -> list:
        """Elements of one tag (or with one id) with every class and id named, in page order."""
        found = self.picked.get(compound)
        if found is not None:
            return found
        place = _PLACE.search(compound)
        if place:
            compound = compound[: place.start()]
        tag = _TAG.match(compound)
        parts = _PART.findall(compound[tag.end():] if tag else compound)
        ids = [name for kind, name in parts if kind == "#"]
        classes = [name for kind, name in parts if kind == "."]
        if tag and classes:  # the tag's elements carrying the first class, from the tag's class attributes
            found = self._with_class(tag.group(), classes[0])
            classes = classes[1:]
        else:
            found = self._elements(tag.group()) if tag else self._ids().get(ids[0], [])
        if tag and ids:
            found = [el for el in found if all(el.get("id") == ident for ident in ids)]
        for name in classes:
            found = [el for el in found if has_class(el.get("class"), name)]
        if place:  # count(preceding-sibling::TAG) = n - 1, as cssselect writes it
            places, wanted = self._places(tag.group()), int(place.group(1))
            found = [el for el in found if places[el] == wanted]
            compound += place.group()
        self.picked[compound] = found
        return found

    def _places(self, tag: str) -> dict:
        """Each element of a tag's place among its parent's children of that tag (1 for the first)."""
        found = self._placed.get(tag)
        if found is None:
            found = self._placed[tag] = {}
            counts: dict = {}
            for el in self._elements(tag):  # page order: a parent's children of the tag come in order
                parent = el.getparent()
                if parent is None or el is self.root:  # its siblings (if any) lie outside the index's page
                    found[el] = 1 + sum(1 for sib in el.itersiblings(preceding=True) if sib.tag == tag)
                    continue
                counts[parent] = found[el] = counts.get(parent, 0) + 1
        return found

    def _with_class(self, tag: str, name: str) -> list:
        """A tag's elements with the class `name` (a word of their class attribute, as
        libxml2 splits it), in page order: each distinct attribute tested once."""
        groups = [els for attribute, els in self._by_attribute(tag).items() if has_class(attribute, name)]
        if len(groups) < 2:
            return groups[0] if groups else []
        numbers = self._numbers(tag)
        return sorted((el for els in groups for el in els), key=numbers.__getitem__)

    def _by_attribute(self, tag: str) -> dict[str, list]:
        """A tag's elements by their class attribute, each list in page order (a page
        repeats a few hundred attributes over its thousands of elements)."""
        found = self._classed.get(tag)
        if found is None:
            found = self._classed[tag] = {}
            for el in self._elements(tag):
                attribute = el.get("class")
                if attribute:
                    found.setdefault(attribute, []).append(el)
        return found

    def _ids(self) -> dict[str, list]:
        if self._by_id is None:
            by_id: dict[str, list] = {}
            ids = _IDS_OF_PAGE if self.root.getparent() is None else _IDS_BELOW
            for value in ids(self.root):
                by_id.setdefault(str(value), []).append(value.getparent())
            self._by_id = by_id
        return self._by_id


class Within:
    """Whether an element is one of `boxes` or inside one (False for None): each
    element climbed once however many ask (the homes of a chain step, the extras
    of the item selector's candidates, share their ancestors)."""

    __slots__ = ("boxes", "known")

    def __init__(self, boxes) -> None:
        self.boxes, self.known = boxes, {}

    def __call__(self, el) -> bool:
        known, boxes = self.known, self.boxes
        climbed = []
        found = False
        while el is not None:
            if el in boxes:
                found = True
                break
            seen = known.get(el)
            if seen is not None:
                found = seen
                break
            climbed.append(el)
            el = el.getparent()
        for step in climbed:
            known[step] = found
        return found
