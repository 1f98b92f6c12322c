"""Selectors: where a listing's parts are, as a user writes them in the config.

CSS (with Scrapy's `::attr(name)` and `::text`) or XPath written as
"xpath:EXPR", compiled once and applied with lxml directly.  The one
definition of the selector keys (`SELECTOR_KEYS`) lives here, beside the
type that holds them, so config, extraction and detection agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache

from lxml import etree


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
    try:
        result = compile_selector(expr)(node)
    except etree.XPathEvalError as exc:
        raise SelectorError(f"selector {expr!r} cannot be evaluated: {exc}") from None
    if isinstance(result, list):
        return result
    if isinstance(result, bool):
        return []
    return [str(result)]  # an XPath returning a number or a string


_SIMPLE = re.compile(r"[a-z][a-z0-9]*((?:\.-?[A-Za-z_][A-Za-z0-9_-]*)*)")


@lru_cache(maxsize=1024)
def _simple(expr: str) -> tuple[str, tuple[str, ...]] | None:
    """(tag, classes) of a selector that is one lower-case tag with classes ("li.item"), else None."""
    if _SIMPLE.fullmatch(expr) is None:
        return None
    tag, *classes = expr.split(".")
    return tag, tuple(classes)


_XML_SPACE = re.compile(r"[ \t\n\r]+")  # what XPath's normalize-space() collapses


def has_class(attribute: str | None, name: str) -> bool:
    """CSS's class test as libxml2 runs it (the XPath cssselect writes): `name` among
    the class attribute's words split at XML whitespace (not at a no-break space)."""
    return bool(attribute) and name in attribute and name in class_words(attribute)


@lru_cache(maxsize=4096)
def class_words(attribute: str) -> frozenset[str]:
    """The words of a class attribute as libxml2's normalize-space() splits them (at XML whitespace only)."""
    return frozenset(_XML_SPACE.split(attribute))
