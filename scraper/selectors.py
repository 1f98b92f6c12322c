"""Selectors: where a listing's parts are, as a user writes them in the config.

CSS (with Scrapy's `::attr(name)` and `::text`) or XPath written as
"xpath:EXPR", compiled once and applied with lxml directly; a plain
"tag.class" and, inside a block, a chain with a classes-only compound
(".summary p") are walked instead, giving what libxml2 gives.  The one
definition of the selector keys (`SELECTOR_KEYS`) lives here, beside the
type that holds them, so config, extraction and detection agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache

from lxml import etree

from scraper.text import XML_BLANKS
from scraper.memo import string_memo


class SelectorError(ValueError):
    """A selector that cannot be compiled; the message says why."""


@dataclass(frozen=True, slots=True)
class Selectors:
    """Where the parts of each block are, as written in the config."""

    item: str
    headline: str
    summary: str | None = None
    link: str | None = None
    date: str | None = None
    next_page: str | None = None


SELECTOR_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Selectors))
"""The config keys that hold selectors, in the order they are written."""


@lru_cache(maxsize=1)
def _translator():
    """Scrapy's CSS dialect (::text, ::attr); imported on first use, as commands that never compile a selector need not pay for it."""
    from parsel.csstranslator import HTMLTranslator

    return HTMLTranslator()


@lru_cache(maxsize=1024)
def compile_selector(expr: str) -> etree.XPath:
    """Compile a CSS or "xpath:" selector; SelectorError names what is wrong."""
    expr = expr.strip()
    if not expr:
        raise SelectorError("empty selector")
    if expr.startswith("xpath:"):
        xpath = expr[len("xpath:"):].strip()
        if not xpath:
            raise SelectorError("empty XPath after 'xpath:'")
    else:
        try:
            xpath = _translator().css_to_xpath(expr)
        except Exception as exc:  # cssselect raises several unrelated types
            raise SelectorError(f"invalid CSS selector {expr!r}: {exc}") from None
    try:
        # Smart strings: a text result knows its element (for the headline's link).
        compiled = etree.XPath(xpath, regexp=False, smart_strings=True)
    except etree.XPathSyntaxError as exc:
        raise SelectorError(f"invalid XPath {xpath!r}: {exc}") from None
    try:  # unknown functions and variables only show when evaluated: say so in the config check
        compiled(_PROBE)
    except etree.XPathEvalError as exc:
        raise SelectorError(f"invalid XPath {xpath!r}: {exc}") from None
    return compiled


_PROBE = etree.fromstring("<html><body><div><p>x</p></div></body></html>", etree.HTMLParser())


def select(expr: str, node: etree._Element) -> list:
    """Apply a selector to a node: elements, or strings for ::attr/::text/@x."""
    simple = _simple(expr)
    if simple is not None and isinstance(node, etree._Element):
        # "h3", "p.summary": the node's elements of that tag (itself included, as
        # CSS's descendant-or-self) with those classes, walked in libxml2 without
        # the cost of an XPath evaluation: the same elements in the same order.
        tag, classes = simple
        found = list(node.iter(tag))
        for name in classes:
            found = [el for el in found if has_class(el.get("class"), name)]
        return found
    if isinstance(node, etree._Element) and node.getparent() is not None:
        chain = _chain(expr)
        if chain is not None:  # ".summary p" inside one block: see _chained
            return _chained(chain, node)
    try:
        result = compile_selector(expr)(node)
    except etree.XPathEvalError as exc:
        raise SelectorError(f"selector {expr!r} cannot be evaluated: {exc}") from None
    if isinstance(result, list):
        return result
    if isinstance(result, bool):
        return []
    return [str(result)]  # an XPath returning a number or a string


def select_elements(expr: str, node: etree._Element) -> list[etree._Element]:
    """The elements a selector picks, its text and attribute results left out: the
    blocks an item selector picks, as detection compares them when it widens one."""
    return [el for el in select(expr, node) if isinstance(el, etree._Element)]


IDENT = r"-?[A-Za-z_][A-Za-z0-9_-]*"
"""A class or id name as select walks it and detection writes it: CSS's identifier, ASCII only."""

_SIMPLE = re.compile(rf"[a-z][a-z0-9]*((?:\.{IDENT})*)")


@lru_cache(maxsize=1024)
def _simple(expr: str) -> tuple[str, tuple[str, ...]] | None:
    """(tag, classes) of a selector that is one lower-case tag with classes ("li.item"), else None."""
    if _SIMPLE.fullmatch(expr) is None:
        return None
    tag, *classes = expr.split(".")
    return tag, tuple(classes)


# The compounds select walks: a lower-case tag, classes, or both ("td.title", ".summary");
# page_index's grammar (ids, :nth-of-type) is wider, as detection writes those too.
_COMPOUND = re.compile(rf"([a-z][a-z0-9]*)?((?:\.{IDENT})*)")


def chain_tokens(selector: str, is_compound: Callable[[str], object]) -> list[str] | None:
    """The compounds of a selector with the combinators between them
    (["#main", " ", "ul.news", " > ", "li"]), or None when it is not of that form
    (a leading, trailing or doubled combinator, an empty compound, one `is_compound`
    refuses).  The one reading of a chain's shape; each caller parses the
    compounds its own way (select's walk, detection's page_index)."""
    chain: list[str] = []
    for token in selector.split(" "):
        if token == ">":
            if not chain or chain[-1] in (" > ", " "):
                return None
            chain.append(" > ")
        elif token and is_compound(token):
            if chain and chain[-1] not in (" > ", " "):
                chain.append(" ")
            chain.append(token)
        else:
            return None
    return chain if chain and chain[-1] not in (" > ", " ") else None


@lru_cache(maxsize=1024)
def _chain(expr: str) -> tuple | None:
    """((tag or None, classes), combinator, (tag or None, classes), ...) of a selector
    made of compounds ("td.title", ".summary") joined by single spaces or " > ",
    whose last compound names a tag and another names classes only (".summary p":
    its XPath tests every element of the block for the class); else None."""
    tokens = chain_tokens(expr, _COMPOUND.fullmatch)
    if tokens is None or len(tokens) < 3:
        return None
    steps: list = []
    for token in tokens:
        if token in (" > ", " "):
            steps.append(token.strip() or " ")
        else:
            match = _COMPOUND.fullmatch(token)
            steps.append((match.group(1), tuple(match.group(2).split(".")[1:])))
    if steps[-1][0] is None:
        return None
    if all(tag is not None for tag, _classes in steps[::2]):
        return None  # "div.meta > span": libxml2 runs the XPath of tags faster than Python climbs
    return tuple(steps)


def _chained(chain: tuple, block: etree._Element) -> list:
    """What a chain of compounds picks inside `block`, as libxml2 runs the XPath
    cssselect writes for it ("A B": descendant-or-self::A/descendant::B, "A > B":
    descendant-or-self::A/B): the block's descendants of the last compound's tag
    with its classes, in page order, each kept when its ancestors up to the block
    match the rest of the chain (every way tried, as a child step may need a
    farther ancestor).  Walked in libxml2 and climbed in Python: no XPath run per
    block and field."""
    tag, classes = chain[-1]
    known: dict = {}
    return [el for el in block.iterdescendants(tag)
            if _has_classes(el, classes) and _above(el, chain, len(chain) - 3, block, known)]


def _has_classes(el, classes: tuple) -> bool:
    attribute = el.get("class")
    return all(has_class(attribute, name) for name in classes)


def _above(el, chain: tuple, step: int, block, known: dict) -> bool:
    """Whether the ancestors of `el` (a descendant of `block`) match chain[:step + 1],
    chain[step + 1] the combinator between that compound and `el`'s; the first
    compound may match the block itself, the others only elements inside it.

    `known` remembers each (element, step) answered during one chain's run:
    without it a chain that fails ("div div span" under a class the block
    lacks) tries every ancestor for every step again, which grows as the
    nesting depth to the power of the steps (seconds on 30 nested divs)."""
    key = (el, step)
    answer = known.get(key)
    if answer is None:
        answer = known[key] = _climb(el, chain, step, block, known)
    return answer


def _climb(el, chain: tuple, step: int, block, known: dict) -> bool:
    """_above's walk: up from `el` to the first ancestor that matches chain[step]
    (and, above it, the rest of the chain).  Through a descendant combinator, an
    ancestor passed over has the same answer as `el` for this step, so each is
    remembered too: every element is climbed past once per step, however deep."""
    tag, classes = chain[step]
    passed = []
    node = el
    while True:
        anc = node.getparent()
        if anc is None or (anc is block and step):  # only the first compound may be the block
            answer = False
            break
        if (tag is None or anc.tag == tag) and _has_classes(anc, classes) and (
            step == 0 or _above(anc, chain, step - 2, block, known)
        ):
            answer = True
            break
        if chain[step + 1] == ">" or anc is block:
            answer = False
            break
        answer = known.get((anc, step))
        if answer is not None:
            break
        passed.append(anc)
        node = anc
    for anc in passed:
        known[(anc, step)] = answer
    return answer




def has_class(attribute: str | None, name: str) -> bool:
    """CSS's class test as libxml2 runs it (the XPath cssselect writes): `name` among
    the class attribute's words split at XML whitespace (not at a no-break space)."""
    return bool(attribute) and name in attribute and name in class_words(attribute)


@string_memo(4096)
def class_words(attribute: str) -> frozenset[str]:
    """The words of a class attribute as libxml2's normalize-space() splits them (at XML whitespace only)."""
    return frozenset(XML_BLANKS.split(attribute))
