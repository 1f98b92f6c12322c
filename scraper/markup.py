"""HTML: parsing a page leniently, and reading an element's text as a reader sees it.

Pure functions over lxml trees.  What counts as visible (not scripts, not
screen-reader-only labels) and where paragraphs break is decided here, once,
for configured selectors and automatic detection alike.
"""

from __future__ import annotations

import re

from lxml import etree

from scraper.text import normalise_space
from scraper.memo import string_memo

# Elements whose text a reader never sees.
INVISIBLE = frozenset({"script", "style", "noscript", "template", "svg", "head", "button"})

# Elements hidden from sighted readers by the page itself: the `hidden`
# attribute, an inline display:none, and the screen-reader-only classes of
# the common frameworks and CMSs (Bootstrap, Tailwind, WordPress, Drupal,
# GOV.UK), which put "Read more about" or "(opens in a new window)" inside
# headline links.  Not Bootstrap's "d-none" or Tailwind's "hidden": those are
# often shown again at other screen widths ("hidden md:block").
_HIDDEN_CLASS = re.compile(
    r"(?:^|\s)(?:sr-only|visually-hidden|visuallyhidden|screen-reader-text|screen-reader-only|element-invisible"
    r"|hidden-visually|u-visually-hidden|govuk-visually-hidden|a11y-hidden)(?:-focusable)?(?=\s|$)",
    re.I,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def is_hidden(el: etree._Element) -> bool:
    """Whether the page hides `el` from sighted readers (see _HIDDEN_CLASS)."""
    if el.get("hidden") is not None:
        return True
    classes = el.get("class")
    if classes and _hiding_class(classes):
        return True
    style = el.get("style")
    return bool(style) and _hiding_style(style)


# Memoised: text reading asks about every element inside a block, and a page
# repeats a few class and style attributes thousands of times.
@string_memo(4096)
def _hiding_class(classes: str) -> bool:
    return _HIDDEN_CLASS.search(classes) is not None


@string_memo(4096)
def _hiding_style(style: str) -> bool:
    return _HIDDEN_STYLE.search(style) is not None


# Elements that start a new paragraph when flattening a teaser to text.
BLOCK = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "aside", "blockquote",
        "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "td", "th", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "main", "nav",
        "address", "hr", "form", "fieldset",
    }
)


def local_tag(el: etree._Element) -> str:
    """An element's tag in lower case without its namespace ("" for a comment)."""
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    local = _LOCAL_TAGS.get(tag)
    if local is None:
        local = tag.rsplit("}", 1)[-1].lower()
        if len(_LOCAL_TAGS) < 4096:  # a page may invent tags: bounded
            _LOCAL_TAGS[tag] = local
    return local


_LOCAL_TAGS: dict[str, str] = {}


def element_paragraphs(el: etree._Element) -> list[str]:
    """The visible text of an element, split where block elements break it.

    A summary made of several <p> gives several paragraphs; inline markup
    (<a>, <em>, <span>) is flattened into its paragraph.
    """
    return _paragraphs(el, None)


def short_element_paragraphs(el: etree._Element, limit: int) -> list[str] | None:
    """element_paragraphs, or None as soon as the visible text is sure to be longer
    than `limit` characters: a date or a label is short, and the post or page
    section around it need not be read whole to learn it is none."""
    return _paragraphs(el, limit)


def _paragraphs(el, limit: int | None) -> list[str] | None:
    if isinstance(el, str):
        text = normalise_space(el)
        return [text] if text else []
    if not len(el):  # no children (one <p>, a bare heading): its own text is all of it
        tag = el.tag
        if not isinstance(tag, str) or local_tag(el) in INVISIBLE:
            return []
        text = normalise_space(el.text)
        return None if limit is not None and len(text) > limit else [text] if text else []
    if _is_flat(el):
        # The common case (a headline, one <p>): one paragraph, read in C (libxml2's
        # text serialisation: every text inside, as itertext() gives it, at a third of the cost).
        text = normalise_space(string_value(el))
        return None if limit is not None and len(text) > limit else [text] if text else []
    return _walk(el, limit)


def _walk(el, limit: int | None) -> list[str] | None:
    """_paragraphs by a walk of the element's tree: for elements with block
    elements, line breaks or hidden parts inside.  Every step is written out
    (no helper calls per node): this loop reads most of the text detection and
    extraction look at."""
    paragraphs: list[str] = []
    current: list[str] = []
    solid = 0  # characters read that survive normalisation: the text is at least this long
    # An explicit stack, not recursion: a page may nest elements thousands deep.
    stack: list = [el]
    push, pop, add = stack.append, stack.pop, current.append
    local_tags, invisible, block = _LOCAL_TAGS, INVISIBLE, BLOCK
    while stack:
        node = pop()
        if node is None:  # the end of a block element
            if current:
                text = normalise_space("".join(current))
                if text:
                    paragraphs.append(text)
                current.clear()
            continue
        if isinstance(node, str):  # the tail text after an element
            add(node)
            if limit is not None and not node.isspace():
                solid += _solid_length(node)
                if solid > limit:
                    return None
            continue
        tag = node.tag
        if isinstance(tag, str):
            tag = local_tags.get(tag) or local_tag(node)
            if tag in invisible:
                continue
            if node is not el:  # is_hidden, inlined
                get = node.get
                if get("hidden") is not None:
                    continue
                names = get("class")
                if names and _hiding_class(names):
                    continue
                style = get("style")
                if style and _hiding_style(style):
                    continue
            if tag in block:
                if current:
                    text = normalise_space("".join(current))
                    if text:
                        paragraphs.append(text)
                    current.clear()
                push(None)
            elif tag == "br":
                add(" ")
            text = node.text
            if text:
                add(text)
                if limit is not None and not text.isspace():
                    solid += _solid_length(text)
                    if solid > limit:
                        return None
        if len(node):
            for child in node[::-1]:
                tail = child.tail
                if tail:
                    push(tail)
                push(child)
    if current:
        text = normalise_space("".join(current))
        if text:
            paragraphs.append(text)
    return paragraphs


def _solid_length(text: str) -> int:
    """How many characters of `text` normalise_space keeps whatever surrounds it (no
    whitespace, no dropped character): the paragraph holding it is at least that long."""
    if text.isspace():  # the indentation between tags: most pieces of a page
        return 0
    return len(normalise_space(text).replace(" ", ""))


_STRUCTURE = BLOCK | INVISIBLE | {"br"}


def _is_flat(el) -> bool:
    """No element inside that would break or hide text: plain inline content."""
    if not isinstance(el.tag, str) or local_tag(el) in INVISIBLE:
        return False
    for node in el.iterdescendants():  # few: a headline or a paragraph
        tag = node.tag
        if not isinstance(tag, str) or tag in _STRUCTURE or is_hidden(node):
            return False
    return True


def string_value(el: etree._Element) -> str:
    """An element's XPath string value: all the text inside it, hidden parts and
    blanks included (element_text is the visible text, normalised); a bare text
    element's own text read directly.

    Read by libxml2's text serialisation, which gathers the same text
    (xmlNodeGetContent, as XPath's string() does) at two thirds of the cost of
    an XPath call: detection reads every link of a page so."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False) if len(el) else el.text or ""


def element_text(el: etree._Element) -> str:
    """Visible text of an element on one line (a headline, a date)."""
    return " ".join(element_paragraphs(el))


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def parse_html(html: str | bytes, base_url: str | None = None) -> etree._Element:
    """Parse a page leniently; an empty or unparsable page gives an empty tree."""
    return parse_html_checked(html, base_url)[0]


def parse_html_checked(html: str | bytes, base_url: str | None = None) -> tuple[etree._Element, str | None]:
    """The parsed tree, and why it cannot be trusted whole (or None).

    The HTML parser gives up silently below about 2,000 levels of nesting,
    dropping the rest of the page: a listing under a broken template would
    look empty, and "no items" must not be blamed on the selectors.
    """
    parser = etree.HTMLParser(recover=True, huge_tree=True, remove_comments=True)
    if isinstance(html, str):
        # lxml refuses decoded text that still declares an encoding (XHTML pages).
        html = _XML_DECLARATION.sub("", html, count=1)
    try:
        root = etree.fromstring(html, parser, base_url=base_url) if html else None
    except (etree.ParserError, ValueError):
        root = None
    problem = None
    for error in parser.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in error.message:
            detail = normalise_space(error.message).split(",")[0]
            what = "page nested too deeply for" if "depth" in detail.lower() else "page too large or complex for"
            problem = f"{what} the HTML parser ({detail})"
            break
    if root is None:
        root = etree.fromstring("<html><body></body></html>", etree.HTMLParser())
    return root, problem

