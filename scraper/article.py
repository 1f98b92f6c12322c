"""Article extraction: the text and metadata of one article page.

A pure function, `extract_article(html, url)`, over the page a listing's
item links to.  The main text and the metadata (title, author, date,
description, site name, categories, tags) come from trafilatura; the
publication date from htmldate when trafilatura finds none; the language
from the text itself (py3langid) or, for short texts, from what the page
declares.  No I/O, no state kept between calls: the same page gives the same
`Article`, whatever was extracted before it.

trafilatura, htmldate and py3langid are imported on first use, not with
this module: importing them takes about a second, and py3langid loads its
model on its first use (another second or two; `bench/article_startup.py`).
Commands that never follow an article must not pay for that.

Settings, and why (measured on the Zyte/Scrapinghub benchmark of 181 news
pages by `bench/article_quality.py --settings`; figures in docs/benchmarks.md):

- `include_comments=False`: readers' comments are not the release.  The
  stored text is a research corpus of what the publisher said, and
  comments would change the text (and its hash) with every new one.  It is
  also the largest gain on the benchmark: F1 0.960 against 0.953 for
  trafilatura's defaults, which keep comments.
- Neither `favor_precision` nor `favor_recall`: precision mode scored
  +0.004 F1, within the noise (paired bootstrap standard deviation 0.005),
  and cut one article of the 181 to its first 260 characters; for an
  archive, a lost article costs more than a stray line of boilerplate.
  Recall mode scored the same as balanced, a little less precise.
- `include_tables=True` (the default): press releases carry their figures
  in tables; leaving tables out lowered recall (0.978 to 0.972).
- `fast=False` (the default): trafilatura's fallbacks (its readability
  port and jusText) rescue pages whose main text its own pass misses.  On
  the benchmark `fast=True` scored the same within noise (+0.002 F1,
  paired standard deviation 0.004) and takes less time; the fallbacks are
  kept for the odd layouts of the government and NGO sites Tidings
  watches, since their cost is small next to fetching the page.
- `deduplicate=False`: trafilatura's deduplication is a process-wide cache
  that would make the result depend on pages extracted before.
- No formatting, links or images: plain text with one paragraph per line,
  which is what full-text search and exports want.
- The page's URL is passed, so metadata resolves against it and htmldate
  can read a date from the URL's path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

from scraper.encoding import decode_html
from scraper.text import normalise_space

# Where `Article.published` came from.
PUBLISHED_BY_TRAFILATURA = "trafilatura"  # the original publication date its metadata pass found
PUBLISHED_BY_HTMLDATE = "htmldate"  # htmldate's best date for the page, when trafilatura had none
PublishedOrigin = Literal["trafilatura", "htmldate", ""]

# Where `Article.language` came from.
LANGUAGE_FROM_TEXT = "text"  # identified from the extracted text
LANGUAGE_DECLARED = "declared"  # the page's <html lang>, Content-Language or og:locale
LanguageOrigin = Literal["text", "declared", ""]

# Below this many characters of text, identifying the language from the
# text is less reliable than what the page declares.
MIN_TEXT_FOR_LANGUAGE = 200

# The excerpt: whole leading paragraphs up to EXCERPT_TARGET characters;
# a first paragraph longer than EXCERPT_MAX is cut at a word.
EXCERPT_TARGET = 300
EXCERPT_MAX = 600
# The title is looked for among the text's first lines (see excerpt).
TITLE_WITHIN = 5

# trafilatura's keyword arguments (see "Settings, and why" above).
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "favor_precision": False,
    "favor_recall": False,
    "include_tables": True,
    "fast": False,
    "deduplicate": False,
    "include_formatting": False,
    "include_links": False,
    "include_images": False,
    "with_metadata": True,
}

_LANGUAGE_TAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Article:
    """What one article page says, as plain strings (empty when absent)."""

    url: str
    text: str
    title: str
    author: str
    published: str | None  # YYYY-MM-DD
    published_origin: PublishedOrigin
    language: str  # ISO 639 code, two letters where there are ("en", "yue"; "zxx": no language), or ""
    language_origin: LanguageOrigin
    description: str
    site_name: str
    page_type: str  # what the page says it is (og:type): "article", "website"..., or ""
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    excerpt: str
    content_hash: str  # sha256 of the text with whitespace normalised


def extract_article(html: str | bytes, url: str, *, content_type: str | None = None) -> Article:
    """The article of a page: its main text and metadata.

    `html` is the page as downloaded (bytes are decoded as the listing pages
    are, see scraper.encoding; `content_type` is the HTTP header, if known).
    Markup with no main text (empty, broken, not HTML at all) gives an
    Article with empty text and whatever metadata it has: bad markup never
    raises.  A page that is no article (a homepage, an index) gives the
    little text trafilatura keeps of it, not its lists of links;
    `page_type` says what the page calls itself.
    """
    if isinstance(html, bytes):
        html = decode_html(html, content_type)
    tree = _parse(html)
    if tree is None:
        return _article(url, text="", meta=None, published=None, origin="", declared="")
    document, meta = _trafilatura(tree, url)
    text = _clean_text(document.text if document is not None else "")
    published, origin = _published(meta, html, url)
    return _article(url, text, meta, published, origin, _declared_language(tree))


def _parse(html: str) -> Any:
    """The page's tree, or None when there is no markup to speak of."""
    if not html or not html.strip():
        return None
    from trafilatura.utils import load_html

    try:
        return load_html(html)
    except (ValueError, TypeError):  # markup lxml cannot make a tree of
        return None


def _trafilatura(tree: Any, url: str) -> tuple[Any, Any]:
    """trafilatura's document (None when it finds no main text) and the page's metadata.

    bare_extraction gives up on pages without main text, metadata and all;
    the metadata is then read on its own, so an index page keeps its title.
    """
    from trafilatura import bare_extraction, extract_metadata

    try:
        document = bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
    except Exception:  # noqa: BLE001 - a bug in trafilatura's heuristics must not lose the item
        document = None
    if document is not None:
        return document, document
    try:
        return None, extract_metadata(tree, default_url=url)
    except Exception:  # noqa: BLE001 - as above
        return None, None


def _published(meta: Any, html: str, url: str) -> tuple[str | None, PublishedOrigin]:
    """The publication date and where it came from.

    trafilatura asks htmldate for the *original* date (the first publication,
    not an update), reading URLs as the page's canonical one.  When that
    finds nothing, htmldate's default search over the page and the link
    actually followed (the page's most likely date, an update included) is
    better than none; the origin says which one a researcher is reading.
    """
    if meta is not None and meta.date:
        return meta.date, PUBLISHED_BY_TRAFILATURA
    from htmldate import find_date

    try:
        date = find_date(html, url=url)
    except Exception:  # noqa: BLE001 - htmldate's parsers must not lose the item
        date = None
    return (date, PUBLISHED_BY_HTMLDATE) if date else (None, "")


def _article(url: str, text: str, meta: Any, published: str | None, origin: PublishedOrigin, declared: str) -> Article:
    title = _field(meta, "title")
    language, language_origin = _language(text, declared)
    return Article(
        url=url,
        text=text,
        title=title,
        author=_field(meta, "author"),
        published=published,
        published_origin=origin,
        language=language,
        language_origin=language_origin,
        description=_field(meta, "description"),
        site_name=_field(meta, "sitename"),
        page_type=_field(meta, "pagetype"),
        categories=_labels(meta, "categories"),
        tags=_labels(meta, "tags"),
        excerpt=excerpt(text, title),
        content_hash=content_hash(text),
    )


def _field(meta: Any, name: str) -> str:
    return normalise_space(getattr(meta, name, None) or "") if meta is not None else ""


def _labels(meta: Any, name: str) -> tuple[str, ...]:
    """Categories or tags, each once, in the page's order.

    Pages often put all their keywords in one comma-separated string.
    """
    values = (getattr(meta, name, None) or []) if meta is not None else []
    seen: dict[str, None] = {}
    for value in values:
        for label in (value or "").split(","):
            label = normalise_space(label)
            if label:
                seen.setdefault(label, None)
    return tuple(seen)


def _clean_text(text: str | None) -> str:
    """One paragraph per line, whitespace inside each normalised, no empty lines."""
    lines = (normalise_space(line) for line in (text or "").splitlines())
    return "\n".join(line for line in lines if line)


def content_hash(text: str) -> str:
    """Identity of an article's text: equal for texts that differ only in whitespace."""
    return hashlib.sha256(normalise_space(text).encode("utf-8")).hexdigest()


def excerpt(text: str, title: str = "") -> str:
    """The first paragraph(s) of `text`, for an alert.

    Whole paragraphs until about EXCERPT_TARGET characters; one that would
    go beyond EXCERPT_MAX is cut at a word and ends with an ellipsis.  When
    one of the first few lines is the title, the excerpt starts after it:
    the headline is not the opening, and what an extractor kept above the
    headline is a teaser or a caption from around the article.
    """
    paragraphs = [p for p in text.split("\n") if p]
    heading = normalise_space(title).casefold()
    if heading:
        for i, paragraph in enumerate(paragraphs[:TITLE_WITHIN]):
            if normalise_space(paragraph).casefold() == heading:
                paragraphs = paragraphs[i + 1 :]
                break
    taken: list[str] = []
    length = 0
    for paragraph in paragraphs:
        if length + len(paragraph) > EXCERPT_MAX:
            if not taken:
                taken.append(_cut(paragraph, EXCERPT_MAX))
            break
        taken.append(paragraph)
        length += len(paragraph) + 1
        if length >= EXCERPT_TARGET:
            break
    return "\n".join(taken)


def _cut(paragraph: str, limit: int) -> str:
    head = paragraph[: limit - 1]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:-") + "…"


def _language(text: str, declared: str) -> tuple[str, LanguageOrigin]:
    """The text's language, identified from the text when there is enough of it.

    Pages often declare the language of their template, not of the article
    (an English-labelled site serving a French release), so the text decides
    when it is long enough to; otherwise the page's declaration.
    """
    if len(text) >= MIN_TEXT_FOR_LANGUAGE:
        import py3langid

        return py3langid.classify(text)[0], LANGUAGE_FROM_TEXT
    if declared:
        return declared, LANGUAGE_DECLARED
    return "", ""


def _declared_language(tree: Any) -> str:
    """The primary language subtag the page declares ("en" for "en-GB"), or ""."""
    candidates = tree.xpath(
        "/html/@lang | /html/@xml:lang"
        " | //meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')='content-language']/@content"
        " | //meta[@property='og:locale']/@content",
        namespaces={"xml": "http://www.w3.org/XML/1998/namespace"},
    )
    for value in candidates:
        match = _LANGUAGE_TAG.match(value.strip().lower().split(",")[0].strip())
        if match:
            return match.group(1)
    return ""
