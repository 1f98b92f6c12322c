"""What a record's summary leaves out of the teaser text a selector finds.

A teaser often ends with the link that leads on to the story ("... in
1903, London and New York. Read More →", a last paragraph "Read More »"):
that link is the block's way to the story, not a sentence of its summary.
"""

from __future__ import annotations

from lxml import etree

from scraper.markup import element_text
from scraper.text import is_read_on_text

_LEFT_AT_THE_END = " \t\n[(|·•-–—»›"  # what a cut leaves behind: "... [Read more...]", "... | Weiterlesen"


def without_read_on(summary: str, nodes: list) -> str:
    """The summary less a "Read more" link that ends it (the last link of the matched elements,
    when it reads so and the summary ends with its text)."""
    if not summary:
        return summary
    last = None
    for node in reversed(nodes):
        if isinstance(node, etree._Element):
            last = node if node.tag == "a" else _last_link_in(node)
            break
    if last is None:
        return summary
    text = element_text(last)
    if not text or not is_read_on_text(text):
        return summary
    for end in (summary, summary.rstrip(" \t\n])")):  # "<a>[Read more...]</a>", "[<a>Read more...</a>]"
        if end.endswith(text):
            return end[: -len(text)].rstrip(_LEFT_AT_THE_END)
    return summary


def _last_link_in(node):
    """The last <a> inside `node` (not itself), or None: what findall(".//a")[-1] gives,
    by a walk in libxml2 (findall's path machinery costs twice as much, once a record)."""
    last = None
    for last in node.iterdescendants("a"):
        pass
    return last
