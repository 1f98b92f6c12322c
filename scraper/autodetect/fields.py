"""Stage 4: headline, link, summary and date inside the item blocks.

Within a sample of blocks each field is located by its look (a linked
heading, a <time>, a teaser paragraph), and the relative selector that finds
the same thing in most blocks is kept, so the emitted selectors reproduce
what detection saw when applied by extraction.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree

from scraper.autodetect.block_dates import OWN_TEXT_NODE, date_node, date_of, smallest_holding
from scraper.autodetect.elements import classes_of, generated_classes_of, link_ancestor, tag_of
from scraper.autodetect.texts import SKIP_HREF, link_text_of, own_text, paragraphs_of, text_of
from scraper.autodetect.headings import HEADINGS
from scraper.autodetect.headlines import DATE_HINT, headline_node, link_of_headline
from scraper.autodetect.kickers import headline_before_markers, marked_title_selector, without_kickers
from scraper.autodetect.title_marks import title_before_mark, title_link_before_marks
from scraper.dates import parse_date
from scraper.selectors import SelectorError, select
from scraper.text import normalise_space
from scraper.urls import canonical_url
from scraper.memo import string_memo

_SUMMARY_CLASS = re.compile(
    r"summary|excerpt|teaser|desc|dek|standfirst|intro|lead|abstract|body|text|blurb|snippet|content|lede|deck",
    re.I,
)


def _describe(el, relative_to=None, bare_first: bool = False) -> list[str]:
    """Selectors that name an element: 'tag.class' forms and the bare tag.

    The first of equally good candidates wins: the bare tag for a headline
    (only its first match counts, and it survives a restyle), the class
    forms for summary and date (every match counts there).
    """
    tag = tag_of(el)
    classes = classes_of(el)
    names = [f"{tag}.{c}" for c in classes]
    names.insert(0 if bare_first else len(names), tag)
    names.extend(f".{c}" for c in classes)
    if tag == "p" and not el.get("class"):
        names.append("p:not([class])")
    parent = el.getparent()
    if parent is not None and parent is not relative_to:
        names.extend(f"{tag_of(parent)}.{c} > {tag}" for c in classes_of(parent)[:2])
    names.extend(f"{tag}.{c}" for c in generated_classes_of(el))  # the last resort
    if not classes and parent is not None:  # an unnamed part after others of its tag: by its place
        place = 1 + sum(1 for sib in el.itersiblings(preceding=True) if sib.tag == el.tag)
        if place > 1:
            names.append(f"{tag}:nth-of-type({place})")
        if parent is not relative_to and not parent.get("class"):  # ... inside an unnamed wrapper
            names.append(f"{tag_of(parent)} > {tag}:nth-of-type({place})")
    return names


def _first_text(selector: str, block) -> str | None:
    """The text of the first node with text a selector finds in a block (as extraction
    takes the headline: an image link before the title link is passed over); None if
    it finds none or is no valid selector."""
    try:
        found = select(selector, block)
    except SelectorError:
        return None
    for node in found[:4]:
        text = text_of(node) if isinstance(node, etree._Element) else normalise_space(str(node))
        if text:
            return text
    return None


def _best(candidates: list[str], score, limit: int = 10, ceiling: float | None = None) -> tuple[str | None, float]:
    """The candidate with the highest score; the earlier (simpler) one on ties.

    Only the `limit` candidates seen in most blocks are tried, which bounds
    the cost whatever the markup; once one reaches `ceiling`, the highest
    score possible, no later one can win and none is tried.
    """
    counts = Counter(candidates)
    order = {c: i for i, c in enumerate(dict.fromkeys(candidates))}
    tried = sorted(sorted(order, key=lambda c: -counts[c])[:limit], key=order.get)
    best, best_score = None, 0.0
    for candidate in tried:
        value = score(candidate)
        if value > best_score:
            best, best_score = candidate, value
            if ceiling is not None and best_score >= ceiling:
                break
    return best, best_score


def headline_selector(sample: list, stray: list = ()) -> tuple[str | None, list]:
    """The relative selector that finds the headline of most sampled blocks, and the headline
    elements found by their look (None for a block without one), which place the other fields.

    `stray`: blocks the item selector picks that are no items (the byline rows
    between a table's title rows): a selector loses a point for each it finds a
    headline in, so they give no records."""
    heads, kicker_path = without_kickers(sample, [headline_node(b) for b in sample])  # first: it finds no kicker
    heads = [_or(title_link_before_marks(h), h) for h in heads]  # <h2><a>Title</a><span>2022/09/02</span></h2>
    candidates: list[str] = [kicker_path] if kicker_path else []
    tags = Counter()
    for block, head in zip(sample, heads):
        if head is None:
            continue
        if head is block:
            candidates.append("xpath:.")
            continue
        tags[tag_of(head)] += 1
        candidates.extend(_describe(head, block, bare_first=True))
    heading_tags = sorted(t for t in tags if t in HEADINGS)
    if len(heading_tags) > 1:
        candidates.append(", ".join(heading_tags))
    if heading_tags and tags["a"]:  # teasers with headings, and bare headline links in a list
        candidates.append(", ".join(heading_tags + ["a"]))
    expected = [text_of(h) if h is not None else None for h in heads]
    marked = [headline_before_markers(h) or title_before_mark(h) for h in heads]  # "Title <span>Post de blog</span>", "Title <a>∞</a>": the title
    if any(marked) and heading_tags:
        expected = [title or text for title, text in zip(marked, expected)]
        candidates.append(marked_title_selector(heading_tags, [h for h, title in zip(heads, marked) if title]))
    union = _union_by_kind(sample, heads, expected)
    if union:
        candidates.append(union)

    stray = [b for b in stray if b not in set(sample)]

    def agreement(selector: str) -> float:
        hits = sum(1 for b, want in zip(sample, expected) if want and _first_text(selector, b) == want)
        return hits - sum(1 for b in stray if _first_text(selector, b)) if hits else 0

    best, _ = _best(candidates, agreement, ceiling=sum(1 for want in expected if want))
    return best, heads


def _or(found, default):
    """`found` unless None (an element without children is false)."""
    return default if found is None else found


_TITLED = re.compile(r"title|headline|heading", re.I)


def _union_by_kind(sample: list, heads: list, expected: list) -> str | None:
    """One selector per kind of headline, joined ("span.title, h2, h4"): a listing
    whose featured cards title their stories in headings and whose rows in a
    titled span.  For each tag, the first of its names that finds the headline
    of every block titled so; None when there is one kind or a kind has no name."""
    kinds: dict[str, list] = {}
    for block, head, want in zip(sample, heads, expected):
        if head is not None and head is not block and want:
            if tag_of(head) not in HEADINGS and not _TITLED.search(head.get("class") or ""):
                return None  # only titles said to be titles, by tag or by name
            kinds.setdefault(tag_of(head), []).append((block, head, want))
    if len(kinds) < 2:
        return None
    names = []
    for rows in kinds.values():
        block, head, _ = rows[0]
        name = next((n for n in _describe(head, block, bare_first=True)
                     if all(_first_text(n, b) == want for b, _, want in rows)), None)
        if name is None:
            return None
        names.append(name)
    return ", ".join(names)


def _date_names(line, date, block) -> list[str]:
    """Selectors for a block's date: the line's names by class first (td.date, p.post-meta),
    then the date's own (p.date-comments > a, when the line is an unnamed wrapper), then
    the bare tags; the same line gives the same names whichever of its parts holds the date."""
    outer = _describe(line, block)
    if date is line:
        return outer
    inner = _describe(date, block)
    named = [n for n in outer + inner if "." in n or "#" in n]
    return named + [n for n in inner + outer if n not in named]


def date_selector(sample: list, heads: list) -> str | None:
    """The relative selector that finds the date of most sampled blocks, or None when no block shows one.

    A selector is credited for each block whose date it finds, a little for
    finding nothing where there is none, and loses for a date where there is none.
    """
    candidates: list[str] = []
    expected = []
    for block, head in zip(sample, heads):
        node, date = date_node(block, head)
        expected.append(date)
        if node is OWN_TEXT_NODE:
            candidates.append(OWN_TEXT_NODE)
        elif node is not None:
            candidates.extend(_date_names(node, smallest_holding(node, date), block))
    if not any(expected):
        return None

    def agreement(selector: str) -> float:
        hits = 0
        for block, want in zip(sample, expected):
            try:
                found = select(selector, block)
            except SelectorError:
                return 0
            got = next(filter(None, (date_of(n) if isinstance(n, etree._Element) else parse_date(str(n)) for n in found[:3])), None)
            if got == want:
                hits += 1 if want else 0.5
            elif got and not want:
                hits -= 1
        return hits

    best, _ = _best(candidates, agreement, ceiling=sum(1 if want else 0.5 for want in expected))
    return best


def _summary_candidates(block, head) -> list[str]:
    """Selectors that may name a block's teaser: its paragraphs, elements with a summary-like
    class, table cells and bare text boxes, and text written straight into the block."""
    names: list[str] = []
    around_head = set(head.iter()) | set(head.iterancestors()) if head is not None else set()
    for el in block.iter("p", "div", "span", "td", "dd", "section"):
        if el is block or el in around_head:
            continue
        tag = tag_of(el)
        classes = classes_of(el)
        if tag == "p":
            names.extend(_describe(el, block))
            if not el.get("class"):
                names.append(_P_NOT_JUST_A_LINK)
            before = el.getprevious()
            if before is not None and tag_of(before) == "p":
                names.append("p ~ p")  # the paragraphs after one holding the headline or the date line
            parent = el.getparent()
            if parent is not block and parent is not None:
                names.extend(f"{tag_of(parent)}.{c} p" for c in classes_of(parent)[:2])
        elif any(map(_summary_class, classes)):
            names.extend(f"{tag}.{c}" for c in classes if _summary_class(c))
        elif (tag == "td" or len(el) == 0) and _holds_text(el, 40):
            # A table cell, or a bare text box (<div class="ePdfLt">teaser</div> of CSS-in-JS markup).
            names.extend(_describe(el, block))
    if len(own_text(block)) >= 25:
        names.append("xpath:text()")  # a teaser written straight into the block: <dd><a>...</a><br>text</dd>
    return names


def _holds_text(el, size: int) -> bool:
    """Whether an element's visible text is `size` characters or more.  A childless
    one's is its own text collapsed, never longer: a short one (an icon's label, a
    count) is not read."""
    if not len(el) and len(el.text or "") < size:
        return False
    return len(text_of(el)) >= size


# Plain paragraphs, less those that are only a link (<p><a>Read more »</a></p> after the teaser).
_P_NOT_JUST_A_LINK = "xpath:.//p[not(@class)][string-length(normalize-space()) > string-length(normalize-space(a))]"
_METADATA_LINE = 120  # a short paragraph holding the item's date is its metadata line, not its teaser


@string_memo(4096)
def _summary_class(name: str) -> bool:
    """A class that names a summary ("teaser", "field--name-body"); memoised, the regex is long."""
    return _SUMMARY_CLASS.search(name) is not None


def summary_selector(sample: list, heads: list, date: str | None) -> str | None:
    """The relative selector whose paragraphs read most like teasers across the sample
    (not the headline, links or the date line), or None when none does."""
    candidates: list[str] = []
    context = []
    for block, head in zip(sample, heads):
        candidates.extend(_summary_candidates(block, head))
        headline = text_of(head) if head is not None else ""
        noise = {link_text_of(a) for a in block.iter("a")}
        date_text = _first_text(date, block) if date else None
        if date_text:
            noise.add(date_text)
        context.append((headline, {t for t in noise if t}, date_text))
    if not candidates:
        return None

    worths: dict[tuple[int, str], float] = {}  # candidates mostly find the same paragraphs

    def worth(selector: str) -> float:
        total = 0.0
        for i, (block, (headline, link_text, date_text)) in enumerate(zip(sample, context)):
            try:
                nodes = select(selector, block)
            except SelectorError:
                return 0
            seen: list[str] = []
            for node in nodes:
                if isinstance(node, etree._Element):
                    seen.extend(p for p in paragraphs_of(node) if p not in seen)
                elif isinstance(node, str) and (text := normalise_space(node)) and text not in seen:
                    seen.append(text)
            for paragraph in seen:
                value = worths.get((i, paragraph))
                if value is None:
                    value = worths[i, paragraph] = _paragraph_worth(paragraph, headline, link_text, date_text)
                total += value
        return total

    best, score = _best(candidates, worth, limit=6)
    return best if score > 0 else None


def _paragraph_worth(paragraph: str, headline: str, noise: set[str], date_text: str | None = None) -> float:
    """Positive for summary-like text; negative for headlines, dates, links, bylines
    and metadata lines ("March 15, 2024 | Department of Finance | News releases")."""
    size = len(paragraph)
    if headline and (headline in paragraph or paragraph in headline):
        return -size - 20
    if paragraph in noise:
        return -size - 10
    if size <= 60 and DATE_HINT.search(paragraph) and parse_date(paragraph):
        return -size - 10
    if date_text and date_text in paragraph and size <= _METADATA_LINE:
        return -size
    own = size - sum(len(t) for t in noise if t in paragraph)  # text that is not a link or the date
    if own < 25 or paragraph.count(" ") < 3:
        return -size
    return own


def link_selector(sample: list, heads: list, page_url: str) -> str | None:
    """None when the headline's link is the item's link (the extractor's default)."""
    wanted = []
    default_ok = True
    candidates: list[str] = []
    for block, head in zip(sample, heads):
        own = None
        if head is not None:
            own = head if tag_of(head) == "a" and head.get("href") else head.find(".//a[@href]")
            if own is None:
                own = link_ancestor(head, block)
        if own is not None:
            wanted.append(canonical_url(own.get("href"), page_url))
            continue
        default_ok = False
        links = [a for a in block.iter("a") if a.get("href") and not SKIP_HREF.match(a.get("href"))]
        if not links:
            wanted.append(None)
            continue
        urls = [canonical_url(a.get("href"), page_url) for a in links]
        counts = Counter(urls)
        url = max(dict.fromkeys(urls), key=counts.get)  # the most frequent; the first on ties
        titled = link_of_headline(links, head)
        if titled is not None:  # a link whose text is the headline (a card's overlay link) leads to the story
            url = canonical_url(titled.get("href"), page_url)
        wanted.append(url)
        for a, a_url in zip(links, urls):
            if a_url == url:
                candidates.extend(d + "::attr(href)" for d in _describe(a, block))
    if default_ok:
        return None

    def agreement(selector: str) -> float:
        hits = 0
        for block, want in zip(sample, wanted):
            found = select(selector, block)
            if found and canonical_url(str(found[0]), page_url) == want:
                hits += 1
        return hits

    best, _ = _best(candidates, agreement, ceiling=len(sample))
    return best

