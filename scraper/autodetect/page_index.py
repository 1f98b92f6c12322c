"""What whole-page selectors pick, answered from one walk of the page.

The item-selector search (item_selector.py) tries dozens of selectors on the
whole page ("div.card", "#main div.card", "ul.news > li", "#form > div > div");
each libxml2 run walks every element, and a scoped one walks the page twice.
The forms detection writes are answered here instead, from one walk that
lists the page's elements by tag and by id and numbers them in page order:
"tag.class" reads only that tag's elements, and "A B" / "A > B" keep those of
B inside / directly under an element of A (by CSS's definition, left to
right), each step remembered.  Anything else goes to libxml2.  Every answer
is the list libxml2 gives: the same elements, in page order.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from scraper.selectors import select

# One compound of the forms detection writes: a tag with classes and ids
# ("div", "li.item.news", "div#lead"), or an id alone ("#main").
_COMPOUND = re.compile(r"^(?:[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:[.#]-?[A-Za-z_][A-Za-z0-9_-]*)*|#-?[A-Za-z_][A-Za-z0-9_-]*)$")
_TAG = re.compile(r"^[a-z][a-z0-9-]*")
_PART = re.compile(r"([.#])(-?[A-Za-z_][A-Za-z0-9_-]*)")
_XML_SPACE = re.compile(r"[ \t\n\r]+")  # what XPath's normalize-space() collapses
_WITH_ID = etree.XPath("descendant-or-self::*[@id]")


class PageIndex:
    """One page's elements by tag, by id and in page order, and what selectors
    pick in it (each selector, and each step of a chain, answered once)."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.picked: dict[str, list] = {}
        self._by_tag: dict[str, list] | None = None
        self._by_id: dict[str, list] | None = None
        self._position: dict | None = None

    def select(self, expr: str) -> list:
        """The elements `expr` picks in the page, in page order (as
        scraper.selectors.select gives them); SelectorError when it is invalid."""
        found = self.picked.get(expr)
        if found is None:
            chains = [_chain_of(alternative) for alternative in expr.split(", ")]
            if all(chains):
                found = self._union([self._chain(chain) for chain in chains])
            else:
                found = [el for el in select(expr, self.root) if isinstance(el, etree._Element)]
            self.picked[expr] = found
        return found

    def _union(self, answers: list[list]) -> list:
        if len(answers) == 1:
            return answers[0]
        position = self._positions()
        return sorted({el: None for answer in answers for el in answer}, key=position.__getitem__)

    def _chain(self, chain: list[str]) -> list:
        """Compounds joined by " " and " > ", read left to right: each step keeps the
        elements of its compound that lie inside / directly under the last step's."""
        key = " ".join(chain)
        found = self.picked.get(key)
        if found is not None:
            return found
        if len(chain) == 1:
            found = self._compound(chain[0])
        else:
            homes, picked = self._chain(chain[:-2]), self._compound(chain[-1])
            found = self._children(homes, picked) if chain[-2] == ">" else self._descendants(homes, picked)
        self.picked[key] = found
        return found

    def _children(self, homes: list, picked: list) -> list:
        home_set = set(homes)
        return [el for el in picked if el.getparent() in home_set]

    def _descendants(self, homes: list, picked: list) -> list:
        """The elements of `picked` inside an element of `homes`: a subtree's nodes
        are numbered in one run, so one pass over both lists in page order."""
        position = self._positions()
        spans: list[tuple[int, int]] = []
        for home in homes:  # in page order: a span starting inside the last one is nested in it
            first = position[home]
            if spans and first <= spans[-1][1]:
                continue
            spans.append((first, position[_last_descendant(home)]))
        found, i = [], 0
        for el in picked:
            at = position[el]
            while i < len(spans) and spans[i][1] < at:
                i += 1
            if i == len(spans):
                break
            if spans[i][0] < at:
                found.append(el)
        return found

    def _compound(self, compound: str) -> list:
        """Elements of one tag (or with one id) with every class and id named, in page order."""
        found = self.picked.get(compound)
        if found is not None:
            return found
        tag = _TAG.match(compound)
        parts = _PART.findall(compound[tag.end():] if tag else compound)
        ids = [name for kind, name in parts if kind == "#"]
        if tag:
            found = self._tags().get(tag.group(), [])
            if ids:
                found = [el for el in found if all(el.get("id") == ident for ident in ids)]
        else:
            found = self._ids().get(ids[0], [])
        for name in (name for kind, name in parts if kind == "."):
            found = [el for el in found if _has_class(el.get("class"), name)]
        self.picked[compound] = found
        return found

    def _tags(self) -> dict[str, list]:
        if self._by_tag is None:
            by_tag: dict[str, list] = {}
            for el in self.root.iter():
                tag = el.tag
                if isinstance(tag, str):
                    found = by_tag.get(tag)
                    if found is None:
                        found = by_tag[tag] = []
                    found.append(el)
            self._by_tag = by_tag
        return self._by_tag

    def _ids(self) -> dict[str, list]:
        if self._by_id is None:
            by_id: dict[str, list] = {}
            for el in _WITH_ID(self.root):
                by_id.setdefault(el.get("id"), []).append(el)
            self._by_id = by_id
        return self._by_id

    def _positions(self) -> dict:
        """Every node's number in page order."""
        if self._position is None:
            self._position = {el: i for i, el in enumerate(self.root.iter())}
        return self._position


def _chain_of(selector: str) -> list[str] | None:
    """The compounds of a selector with the combinators between them
    (["#main", " ", "ul.news", ">", "li"]), or None when it is not of that form."""
    chain: list[str] = []
    for token in selector.split(" "):
        if token == ">":
            if not chain or chain[-1] in (">", " "):
                return None
            chain.append(">")
        elif _COMPOUND.match(token):
            if chain and chain[-1] not in (">", " "):
                chain.append(" ")
            chain.append(token)
        else:
            return None
    return chain if chain and chain[-1] not in (">", " ") else None


def _last_descendant(el):
    """The last node of an element's subtree in page order (itself when it has no children)."""
    while len(el):
        el = el[-1]
    return el


def _has_class(attribute: str | None, name: str) -> bool:
    """CSS's class test as libxml2 runs it: `name` among the class attribute's
    words split at XML whitespace (a Unicode space does not split them)."""
    return bool(attribute) and name in attribute and name in _words(attribute)


@lru_cache(maxsize=4096)
def _words(attribute: str) -> frozenset[str]:
    return frozenset(_XML_SPACE.split(attribute))
