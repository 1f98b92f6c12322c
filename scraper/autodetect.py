"""Automatic detection of a listing page's items: an lxml tree in, selectors out.

Detection infers ordinary selectors (the same CSS a person would write in
tidings.toml) and `extract_tree` applies them, so the records of an
automatic crawl and of a crawl with the printed selectors pinned are the
same by construction.

How (see docs/autodetect.md):
1. Every link with headline-like text is a clue.  From each, climb a few
   levels; every element met is a candidate item block, grouped with the
   elements of the same tag under parents with the same tag-and-class path.
2. Each group is scored: its blocks, their headline text, their other text
   (summaries, dates); more inside the main content, much less inside
   navigation, header, footer, sidebars, pagers, share bars.
   The best group is the main listing; at equal score the outer level wins,
   so a block holds its headline, summary and date.
3. The simplest CSS selector that selects that group (plus, at most, other
   item-like blocks next to it, such as a featured first item) is kept.
4. Within a sample of blocks, headline, link, summary and date are located
   by their look, and the relative selector that finds them in most blocks
   is kept.

Everything is linear in the size of the page: links climb a bounded number
of levels and ancestor facts are memoised, so no recursion follows the
page's nesting depth.
"""

from __future__ import annotations

import re
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree

from scraper.dates import parse_date
from scraper.markup import element_paragraphs
from scraper.selectors import SelectorError, Selectors, select
from scraper.text import normalise_space
from scraper.urls import canonical_url

MAX_CLIMB = 8  # levels above a link at which its item block may start
SAMPLE = 8  # blocks examined to infer headline, summary, link and date
MIN_ITEMS = 2
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

_VOLATILE_CLASS = re.compile(
    r"\d|^(css|sc|jsx|svelte|emotion)-|^(first|last|odd|even|active|is-active|current|selected|clearfix|new|hidden|"
    r"featured|is-featured|sticky|lead|top|highlight|highlighted|promoted|large|big|wide|small)$",
    re.I,
)
_VOLATILE_SUFFIX = re.compile(r"(--|__)(first|last|featured|lead|large|big|wide|small|top|highlight\w*|promoted|sticky)$", re.I)
_CSS_IDENT = re.compile(r"^-?[A-Za-z_][A-Za-z0-9_-]*$")
_BOUNDARY = r"(?:^|[\s_-])"
_BAD_REGION = re.compile(
    _BOUNDARY + r"(nav|navbar|navigation|menu|menus|menubar|submenu|subnav|footer|header|masthead|"
    r"sidebar|breadcrumb|breadcrumbs|pager|pagination|share|sharing|social|widget|widgets|skip|cookie|cookies|"
    r"trending|popular|most-read|mostread|sitemap|site-map|quicklinks|quick-links|toolbar|topbar|utility|related|see-also|comments?|newsletter|promo|ad|ads|advert)"
    r"(?=$|[\s_-])",
    re.I,
)
_MAIN_REGION = re.compile(_BOUNDARY + r"(main|content|primary|main-content|maincontent)(?=$|[\s_-])", re.I)
# Not <form>: ASP.NET pages wrap everything in one.
_BAD_TAGS = frozenset({"nav", "footer", "aside", "menu"})
_STATE_PREFIX = re.compile(r"^(has|with|without|no|one|two|is|show|hide)-", re.I)
_BAD_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})
_CONTENT_TAGS = frozenset({"main", "article"})
_SUMMARY_CLASS = re.compile(
    r"summary|excerpt|teaser|desc|dek|standfirst|intro|lead|abstract|body|text|blurb|snippet|content|lede|deck",
    re.I,
)
_DATE_HINT = re.compile(r"\b(1[89]|2[01])\d\d\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b")
_NEXT_TEXT = re.compile(
    r"^(next|next page|next ›|next »|next →|older|older posts|older entries|older news|more|more news|›|»|→|>|>>)"
    r"\s*[›»→>]*$",
    re.I,
)
_RELATIVE_TIME = re.compile(r"^(about |an? |\d+ )\w+ ago$|^(yesterday|today)\b", re.I)
_SKIP_HREF = re.compile(r"^\s*(#|javascript:|mailto:|tel:)", re.I)


@dataclass(slots=True)
class _Node:
    """What detection needs to know about an element's place in the page."""

    key: int  # interned tag-and-class path from the root
    bad: bool  # inside navigation, header, footer, sidebar...
    content: bool  # inside <main> or an <article>
    depth: int
    main: bool = False  # inside <main>, role=main, or a container named main/content/primary


def detect(root: etree._Element, page_url: str) -> Selectors | None:
    """Selectors for the page's main listing, or None when it has none."""
    found = detect_blocks(root, page_url)
    return found[0] if found else None


def detect_blocks(root: etree._Element, page_url: str) -> tuple[Selectors, list] | None:
    """The selectors, and the blocks their item selector picks (so extraction
    need not select them again), or None when the page has no listing."""
    if root is None:
        return None
    token = _TEXTS.set({})  # candidate selectors ask for the same blocks' text again and again
    try:
        return _detect(root, page_url)
    finally:
        _TEXTS.reset(token)


def _detect(root, page_url: str) -> tuple[Selectors, list] | None:
    body = root.find("body")
    scope = body if body is not None else root
    paths = _Paths()
    groups = _candidate_groups(scope, paths)
    best = _best_group(groups, paths)
    if best is None or not _headed(_sample(best)):
        # No listing of headed teasers among the link clues: headings with a
        # bare "Read more" (card grids, press lists) compete, so a column of
        # blog links does not win because its links alone read as headlines.
        for key, members in _heading_groups(scope, paths).items():
            group = groups.setdefault(key, {})
            for block, title in members.items():
                group[block] = max(group.get(block, 0), title)
        best = _best_group(groups, paths)
    if best is None:
        return None
    chosen = _choose_level(root, best, paths)
    if chosen is None:
        return None
    item, blocks = chosen
    listing = blocks
    item, blocks = _with_more_headlines(root, item, blocks, listing, paths, page_url)
    item, blocks = _with_lead_story(root, item, blocks, listing, paths, page_url)
    sample = _sample(blocks)
    headline, heads = _headline_selector(sample)
    if headline is None:
        return None
    date = _date_selector(sample, heads)
    summary = _summary_selector(sample, heads, date)
    link = _link_selector(sample, heads, page_url)
    pager_scope = _common_ancestor(blocks)
    for _ in range(2):  # the pager sits next to the listing, a level or two up
        if pager_scope is not None and pager_scope.getparent() is not None:
            pager_scope = pager_scope.getparent()
    return Selectors(item, headline, summary, link, date, _next_page_selector(root, page_url, pager_scope)), blocks


# --- 1. paths and candidate groups -------------------------------------------

_TEXTS: ContextVar[dict | None] = ContextVar("tidings_autodetect_texts", default=None)


def _paragraphs(el) -> list[str]:
    """element_paragraphs, remembered for the duration of one detection."""
    memo = _TEXTS.get()
    if memo is None:
        return element_paragraphs(el)
    found = memo.get(el)
    if found is None:
        found = memo[el] = element_paragraphs(el)
    return found


def _text(el) -> str:
    return " ".join(_paragraphs(el))


def _tag(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def _classes(el) -> tuple[str, ...]:
    """Classes that describe what an element is, not its state or position."""
    return _stable_classes(el.get("class") or "")


@lru_cache(maxsize=4096)
def _stable_classes(names: str) -> tuple[str, ...]:
    # Memoised: a page repeats a few class attributes thousands of times.
    return tuple(
        c for c in names.split()
        if not _VOLATILE_CLASS.search(c) and not _VOLATILE_SUFFIX.search(c) and _CSS_IDENT.match(c)
    )


class _Paths:
    """Memoised facts about elements, computed top-down without recursion."""

    def __init__(self) -> None:
        self.nodes: dict = {}
        self.keys: dict[tuple[int, str], int] = {}
        self.credited: dict = {}  # blocks on the way up from title links -> longest title

    def of(self, el) -> _Node:
        node = self.nodes.get(el)
        if node is not None:
            return node
        chain = []
        cur = el
        while cur is not None and cur not in self.nodes:
            chain.append(cur)
            cur = cur.getparent()
        parent = self.nodes[cur] if cur is not None else _Node(0, False, False, -1, False)
        for el_ in reversed(chain):
            parent = self._make(el_, parent)
            self.nodes[el_] = parent
        return parent

    def _make(self, el, parent: _Node) -> _Node:
        tag = _tag(el)
        role = el.get("role")
        sig, bad, main = _look(tag, el.get("class"), el.get("id"), role)
        key = self.keys.setdefault((parent.key, sig), len(self.keys) + 1)
        bad = parent.bad or bad or (tag == "header" and not parent.content)
        content = parent.content or tag in _CONTENT_TAGS or role == "main"
        return _Node(key, bad, content, parent.depth + 1, parent.main or main)


@lru_cache(maxsize=4096)
def _look(tag: str, names: str | None, ident: str | None, role: str | None) -> tuple[str, bool, bool]:
    """(signature, a bad region?, a main region?) of an element, from its tag and names alone."""
    # Modifier classes ("slice--wide") vary between rows of one listing.
    sig = tag + "." + ".".join(sorted(c for c in _stable_classes(names or "") if "--" not in c))
    words = f"{names or ''} {ident or ''}"
    main = tag == "main" or role == "main" or _MAIN_REGION.search(words) is not None
    return sig, _is_bad_region(tag, words.split(), role), main


def _is_bad_region(tag: str, names: list[str], role: str | None) -> bool:
    """Navigation, sidebars, footers, pagers, share bars (a site <header> is judged by its place)."""
    if tag in ("html", "body"):
        return False
    if tag in _BAD_TAGS:
        return True
    if (role or "").lower() in _BAD_ROLES:
        return True
    # "has-sidebar", "with-nav": a page wrapper's state, not a sidebar itself.
    return any(_bad_name(n) for n in names)


@lru_cache(maxsize=4096)
def _bad_name(name: str) -> bool:
    return not _STATE_PREFIX.match(name) and _BAD_REGION.search(name) is not None


def _link_text(a) -> str:
    """A link's text, whitespace collapsed as str.split() does."""
    text = _NORMALISED(a)
    if text.isascii() and text.isprintable():
        # libxml2 collapsed the only whitespace plain ASCII text can hold.
        return text
    return " ".join("".join(a.itertext()).split())  # NBSP and friends: Python's rules


_NORMALISED = etree.XPath("normalize-space()", smart_strings=False)


def _is_title_text(text: str) -> bool:
    """Headline-like link text: a few words, not "Home", "12 comments" or "Next"."""
    if _RELATIVE_TIME.match(text):
        return False
    words = text.count(" ") + 1
    return (words >= 3 and len(text) >= 12) or (words == 2 and len(text) >= 20)


# Links whose text may be a headline, sieved by libxml2 (Python decides); not
# those in menus, sidebars and site maps: they are never the main listing's headlines.
_TITLE_LINKS = etree.XPath(
    "descendant::a[@href][contains(normalize-space(), ' ')][string-length(normalize-space()) >= 12]"
    "[not(ancestor::nav or ancestor::aside or ancestor::footer)]"
)


def _candidate_groups(scope, paths: _Paths) -> dict[tuple[int, str], dict]:
    """Candidate blocks around every title-like link, grouped by parent path and tag.

    Each group maps its blocks to the length of their longest title.  A climb
    stops at a block an earlier link reached with a title at least as long,
    so shared containers are not walked once per link.
    """
    groups: dict[tuple[int, str], dict] = {}
    credited = paths.credited
    nodes = paths.nodes
    for a in _TITLE_LINKS(scope):
        if _SKIP_HREF.match(a.get("href")):
            continue
        text = _link_text(a)
        if not _is_title_text(text):
            continue
        title = 20 + min(len(text), 80)  # every item counts, long titles a little more
        node = a
        for _ in range(MAX_CLIMB):  # the hot loop of detection: kept plain
            parent = node.getparent()
            if parent is None:
                break
            if credited.get(node, 0) >= title:  # walked before with a title as long
                break
            credited[node] = title
            key = ((nodes.get(parent) or paths.of(parent)).key, node.tag)
            group = groups.get(key)
            if group is None:
                group = groups[key] = {}
            group[node] = title
            if parent is scope:
                break
            node = parent
    return groups


# Headings with headline-like text outside menus, sidebars and footers: the
# clues of a listing whose links all read "Read more" (a Bootstrap card grid).
_TITLE_HEADINGS = etree.XPath(
    "descendant::*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
    "[contains(normalize-space(), ' ')][string-length(normalize-space()) >= 12]"
    "[not(ancestor::nav or ancestor::aside or ancestor::footer)]"
)
_HAS_LINK = etree.XPath("boolean(descendant-or-self::a[@href])")


def _heading_groups(scope, paths: _Paths) -> dict[tuple[int, str], dict]:
    """Candidate blocks around headline-like headings, when no link reads as a headline.

    Only blocks that hold a link count: an item needs somewhere to lead, and
    an article's own section headings (no links around them) stay no listing.
    Used only as a fallback, so pages whose links carry headlines are judged
    exactly as before.
    """
    groups: dict[tuple[int, str], dict] = {}
    for h in _TITLE_HEADINGS(scope):
        text = _link_text(h)
        if not _is_title_text(text):
            continue
        title = 20 + min(len(text), 80)
        node = h
        for _ in range(MAX_CLIMB):
            parent = node.getparent()
            if parent is None:
                break
            if paths.credited.get(node, 0) >= title:
                break
            paths.credited[node] = title
            if _HAS_LINK(node):
                key = (paths.of(parent).key, node.tag)
                groups.setdefault(key, {})[node] = title
            if parent is scope:
                break
            node = parent
    return {key: members for key, members in groups.items() if _own_links(members)}


_FIRST_HREF = etree.XPath("string(descendant-or-self::a[@href][1]/@href)", smart_strings=False)


def _own_links(blocks) -> bool:
    """Items lead to pages of their own: blocks that mostly share one link
    (questions of an FAQ all pointing at "apply online") are no listing."""
    hrefs = [_FIRST_HREF(b) for b in blocks]
    return len(set(hrefs)) >= 0.8 * len(hrefs)


def _best_group(groups: dict, paths: _Paths) -> list | None:
    """The blocks of the main listing: most headline text, then most other text.

    Only the six groups with most headline text are weighed in full (less
    stray blocks, and not when they are the page's parts): the cost stays
    flat however many groups the links make.
    """
    scored = []
    for members in groups.values():
        if len(members) < MIN_ITEMS:
            continue
        first = next(iter(members))
        node = paths.of(first)
        factor = 0.15 if node.bad else 1.5 if paths.of(first.getparent()).main else 1.0
        scored.append((sum(members.values()) * factor, node.depth, members, factor))
    scored.sort(key=lambda s: -s[0])
    best_score, best_depth, best_items, weighed = None, 0, None, 0
    for titles, depth, members, factor in scored:
        kept = _without_strays(members)
        if len(kept) < MIN_ITEMS or _page_sections(kept):
            continue
        if len(kept) < len(members):
            titles = sum(kept.values()) * factor
        items = list(kept)
        sample = _sample(items)
        other = sum(min(_other_text(el, paths), 300) for el in sample) * len(items) / len(sample) * factor
        score = titles + 0.6 * other
        if best_score is None or score > best_score * 1.0001 or (score >= best_score * 0.9999 and depth < best_depth):
            best_score, best_depth, best_items = score, depth, items
        weighed += 1
        if weighed == 6:
            break
    return best_items


def _headed(blocks: list) -> bool:
    """Most blocks hold a linked heading: teasers, not a column of bare links."""
    def linked_heading(block) -> bool:
        return any(h.find(".//a[@href]") is not None or _link_ancestor(h, block) is not None
                   for h in block.iter(*HEADINGS))
    return sum(map(linked_heading, blocks)) * 2 > len(blocks)


def _alike(blocks) -> bool:
    """All blocks carry the same class attribute (the common case, checked first as it is cheap)."""
    first = next(iter(blocks)).get("class")
    return all(b.get("class") == first for b in blocks)


def _page_sections(blocks) -> bool:
    """Blocks that share no class and mostly differ in class are a page's
    parts (cookie banner, top strip, navbar, body, footer), not the rows of a
    listing, which share a class or have none at all."""
    if _alike(blocks):
        return False
    looks = Counter(_classes(b) for b in blocks)
    if looks.most_common(1)[0][1] * 2 > len(blocks):
        return False
    return not set.intersection(*(set(look) for look in looks))


def _without_strays(members: dict) -> dict:
    """The group less a block or two of another kind that shares its place.

    Grid columns whose classes carry digits (col-md-8, col-md-4) all look
    alike, so a sidebar box lands in the group of the press releases beside
    it; when most blocks share a class, the few without it are strays, unless
    they sit beside the others (a featured first card styled apart is an item).
    """
    if len(members) < 3 or _alike(members):
        return members
    counts = Counter(c for block in members for c in set(_classes(block)))
    if not counts:
        return members
    name, count = counts.most_common(1)[0]
    if count == len(members) or count * 3 < len(members) * 2:
        return members
    homes = {block.getparent() for block in members if name in _classes(block)}
    return {block: title for block, title in members.items() if name in _classes(block) or block.getparent() in homes}


_STRING = etree.XPath("string()", smart_strings=False)  # compiled once: el.xpath() compiles on every call


def _other_text(el, paths: _Paths) -> int:
    """Length of an element's text outside links: summaries, dates."""
    total = len(normalise_space(_STRING(el)))
    links = sum(len(_link_text(a)) for a in el.iter("a"))
    return max(total - links, 0) * (0.15 if paths.of(el).bad else 1.0)


# --- 2. the item selector ----------------------------------------------------


def _choose_level(root, members: list, paths: _Paths, max_levels: int = 4) -> tuple[str, list] | None:
    """The item selector and the blocks it selects, trying the blocks and the wrappers inside them.

    An inner level wins only when its selector is cleaner or also takes in
    item-like blocks the outer one misses (a featured first item wrapped
    differently); otherwise the outer level keeps summary and date in the block.
    """
    best = None
    level = members
    for _ in range(max_levels):
        found = _item_selector(root, level, paths)
        if found is not None and (best is None or found[1:4] > best[1:4]):
            best = found
        level = _title_children(level, paths.credited)
        if level is None:
            break
    return (best[0], best[4]) if best else None


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


def _item_selector(root, members: list, paths: _Paths) -> tuple[str, int, bool, bool, list] | None:
    """The simplest selector that picks the listing's blocks and no stray ones.

    Returns the selector, how many item-like blocks it picks, whether it
    picks nothing else, whether it names the blocks (not a bare path), and
    the elements it selects.
    """
    tag = _tag(members[0])
    common = set(_classes(members[0]))
    for el in members[1:]:
        common &= set(_classes(el))
    own = [f"{tag}.{c}" for c in sorted(common, key=lambda c: (len(c), c))]  # short names first
    own += [tag + "".join("." + c for c in sorted(common))] if len(common) > 1 else []
    own.append(tag)
    scope = _common_ancestor(members)
    outer = scope
    for _ in range(2):  # a featured item sits next to the list, not far away
        if outer is not None and outer.getparent() is not None and _tag(outer.getparent()) != "body":
            outer = outer.getparent()
    contexts = [""] + [ctx + " " for ctx in _anchors(scope)]
    parents = {m.getparent() for m in members}
    parent_classes = set.intersection(*(set(_classes(p)) for p in parents)) if parents else set()
    parent_tag = _tag(next(iter(parents)))
    if parent_classes:
        contexts.append(f"{parent_tag}.{sorted(parent_classes)[0]} > ")
    wanted = set(members)
    fallback = None
    candidates = [context + simple for context in contexts for simple in own]
    if len(parents) == 1 and not parent_classes:  # an unnamed wrapper: its children by their path
        wrapper = _path_selector(next(iter(parents)), paths)
        if wrapper:
            candidates.append(f"{wrapper} > {tag}")
    path = _path_selector(members[0], paths)
    if path:
        candidates.append(path)
    for candidate in candidates:
        try:
            chosen = [el for el in select(candidate, root) if isinstance(el, etree._Element)]
        except SelectorError:
            continue
        if not wanted.issubset(chosen):
            continue
        extra = [el for el in chosen if el not in wanted]
        if tag == "tr":
            # Table rows without any link (the header row, spacers) give no record: harmless.
            extra = [el for el in extra if next(el.iter("a"), None) is not None]
        if not extra or _acceptable_extras(extra, chosen, outer, paths):
            return candidate, len(wanted) + len(extra), True, candidate != path, chosen
        if fallback is None or len(extra) < fallback[0]:
            fallback = (len(extra), candidate, chosen)
    return (fallback[1], len(members), False, False, fallback[2]) if fallback else None


def _with_lead_story(root, item: str, blocks: list, listing: list, paths: _Paths, page_url: str) -> tuple[str, list]:
    """The item selector widened to a lead story set above the listing in a wrapper of its own.

    News hubs and section fronts put their top story in a hero block before
    the card grid (<section class="hero-story"> above <div class="card-grid">):
    no selector of the grid's rows picks it.  The nearest such block before
    the listing, a level or three up, joins the listing when it is one story
    (a heading whose headline-like link is its only destination) and a
    selector names it alone.
    """
    scope = _common_ancestor(listing)
    inside = set(blocks)
    for _ in range(_LEAD_LEVELS):
        if scope is None or _tag(scope) in ("body", "html"):
            break
        for seen, sibling in enumerate(scope.itersiblings(preceding=True)):
            if seen >= _LEAD_SIBLINGS or _tag(sibling) in HEADINGS:
                break  # the listing's own heading ("Latest news") closes the search
            found = _lead_story(sibling, paths, page_url)
            if found is None or _site_section(found[1]) not in _site_sections(listing, page_url):
                continue  # no story, or a newsletter or campaign box, not a story of this listing
            lead = found[0]
            if any(anc in inside for anc in lead.iterancestors()):
                continue
            for name in _lead_names(lead):
                if [el for el in select(name, root) if isinstance(el, etree._Element)] == [lead]:
                    widened = f"{item}, {name}"
                    return widened, [el for el in select(widened, root) if isinstance(el, etree._Element)]
            return item, blocks
        scope = scope.getparent()
    return item, blocks


def _with_more_headlines(root, item: str, blocks: list, listing: list, paths: _Paths, page_url: str) -> tuple[str, list]:
    """The item selector widened to a "more headlines" list right after the listing.

    Section fronts follow their grid of teasers with a plain list of links to
    more stories of the section.  It joins the listing when it comes right
    after it (among the next few siblings of the listing's container), is no
    navigation or "most read" box, and each of its rows is one headline-like
    link to the same part of the site as the listing's items (a "most
    popular" list mixes sections: sport, news, lifestyle; a blog column
    beside press releases leads to /blog/).
    """
    scope = _common_ancestor(listing)
    if scope is None:
        return item, blocks
    label = ""  # the heading just before the list, which names the box when its classes do not
    for seen, sibling in enumerate(scope.itersiblings()):
        if seen >= _LEAD_SIBLINGS or not isinstance(sibling.tag, str):
            break
        if _tag(sibling) in HEADINGS:
            label = _text(sibling)
            continue
        if paths.of(sibling).bad:
            label = ""
            continue
        for links in sibling.iter("ul", "ol", *HEADINGS):
            if _tag(links) in HEADINGS:
                label = _text(links)
                continue
            if paths.of(links).bad or _ASIDE_LABEL.search(label):
                continue
            rows = [li for li in links if _tag(li) == "li"]
            urls = [_headline_row(li, page_url) for li in rows]
            if len(rows) < MIN_ITEMS or not all(urls):
                continue
            if not {_site_section(u) for u in urls} <= _site_sections(listing, page_url):
                continue
            for name in _list_names(links):
                found = [el for el in select(name, root) if isinstance(el, etree._Element)]
                if found == rows:
                    widened = f"{item}, {name}"
                    return widened, [el for el in select(widened, root) if isinstance(el, etree._Element)]
            return item, blocks
        label = ""
    return item, blocks


# Headings of boxes of other stories than the section's latest ("Most read",
# "Related news", "Trending"): older stories, each of which would be reported new.
_ASIDE_LABEL = re.compile(
    r"\b(?:most\s+(?:read|viewed|popular|shared|emailed|commented|watched)|popular|trending|related"
    r"|see\s+also|recommended|(?:you|also)\s+(?:may|might)\s+(?:also\s+)?like|editors?'?\s+picks?|read\s+next)\b",
    re.I,
)


def _headline_row(li, page_url: str) -> str | None:
    """The URL of a list row that is one headline-like link and little else."""
    links = [a for a in li.iter("a") if a.get("href") and not _SKIP_HREF.match(a.get("href"))]
    if len(links) != 1 or not _is_title_text(_link_text(links[0])):
        return None
    if len(_text(li)) > len(_link_text(links[0])) + 40:
        return None  # a teaser or a byline: no bare headline list
    return canonical_url(links[0].get("href"), page_url)


def _list_names(listing) -> list[str]:
    names = [f"{_tag(listing)}.{c} > li" for c in _classes(listing)]
    parent = listing.getparent()
    if parent is not None:
        names += [f"{_tag(parent)}.{c} > {_tag(listing)} > li" for c in _classes(parent)]
    return names


_LEAD_LEVELS = 3  # wrappers between the listing and the lead story's place
_LEAD_SIBLINGS = 3  # elements before the listing looked at on each level


def _lead_story(el, paths: _Paths, page_url: str) -> tuple | None:
    """(the element, its story's URL) when it holds exactly one story: a heading
    with a headline-like link, every headline-like link in it leading to the same page."""
    if not isinstance(el.tag, str) or _tag(el) in HEADINGS or paths.of(el).bad:
        return None
    heads = [h for h in el.iter(*HEADINGS) if h.find(".//a[@href]") is not None or _link_ancestor(h, el) is not None]
    if len(heads) != 1:
        return None
    titles = {canonical_url(a.get("href"), page_url) for a in el.iter("a")
              if a.get("href") and not _SKIP_HREF.match(a.get("href")) and _is_title_text(_link_text(a))}
    return (el, titles.pop()) if len(titles) == 1 and len(_text(el)) <= 1500 else None


def _site_sections(blocks: list, page_url: str) -> set[tuple[str, str]]:
    """Where on the site the listing's items live."""
    return {_site_section(canonical_url(href, page_url)) for href in map(_FIRST_HREF, blocks) if href}


@lru_cache(maxsize=4096)
def _site_section(url: str | None) -> tuple[str, str]:
    """Host and first path segment: where on the site a story lives ("/news/...")."""
    parts = urlsplit(url or "")
    return parts.netloc, parts.path.strip("/").split("/")[0]


def _lead_names(el) -> list[str]:
    names = [f"{_tag(el)}.{c}" for c in _classes(el)]
    ident = el.get("id")
    if ident and _CSS_IDENT.match(ident) and not re.search(r"\d", ident):
        names.append("#" + ident)
    return names


def _common_ancestor(members: list):
    level = set(members)
    while len(level) > 1:
        level = {el.getparent() for el in level}
        if None in level:
            return None
    return next(iter(level))


def _anchors(scope, limit: int = 6) -> list[str]:
    """Names of the listing's container and its ancestors: '#id' or 'tag.class'."""
    found = []
    el = scope
    for _ in range(limit):
        if el is None or _tag(el) in ("html", "body", ""):
            break
        ident = el.get("id")
        if ident and _CSS_IDENT.match(ident) and not re.search(r"\d", ident):
            found.append("#" + ident)
        classes = _classes(el)
        if classes:
            found.append(_tag(el) + "." + classes[0])
        el = el.getparent()
    return found


def _acceptable_extras(extra: list, chosen: list, outer, paths: _Paths) -> bool:
    """Extra blocks are fine when each looks like an item next to the listing."""
    chosen_set = set(chosen)
    for el in extra:
        if paths.of(el).bad or outer is None or not _is_inside(el, outer):
            return False
        if not any(_is_title_text(_link_text(a)) for a in el.iter("a") if a.get("href")):
            return False
        if any(anc in chosen_set for anc in el.iterancestors()):
            return False
        if any(desc in chosen_set for desc in el.iterdescendants()):
            return False  # the listing's own wrapper ("div" picks it too): it would take every teaser as one item's
    return True


def _is_inside(el, container) -> bool:
    return any(anc is container for anc in el.iterancestors())


def _path_selector(el, paths: _Paths, limit: int = 12) -> str | None:
    """A child-combinator path from the nearest id (or the body): exact, if long."""
    parts = []
    cur = el
    for _ in range(limit):
        tag = _tag(cur)
        if tag in ("body", "html"):
            return "body > " + " > ".join(reversed(parts)) if parts else None
        ident = cur.get("id")
        if cur is not el and ident and _CSS_IDENT.match(ident) and not re.search(r"\d", ident):
            return f"#{ident} > " + " > ".join(reversed(parts))
        parts.append(tag + "".join("." + c for c in _classes(cur)[:2]))
        cur = cur.getparent()
        if cur is None:
            return None
    return None


# --- 3. headline, link, summary and date within the blocks -------------------


def _sample(blocks: list) -> list:
    if len(blocks) <= SAMPLE:
        return blocks
    step = (len(blocks) - 1) / (SAMPLE - 1)
    return [blocks[round(i * step)] for i in range(SAMPLE)]


_TITLE_CLASS = re.compile(r"headline|title|heading", re.I)
_NOT_TITLE_CLASS = re.compile(r"kicker|eyebrow|label|category|tag|date|time|container|wrap", re.I)


def _headline_node(block):
    """Where a block's headline is; inside it, the part named as the headline."""
    head = _headline_element(block)
    if head is None:
        return None
    text = _text(head)
    for el in head.iterdescendants():
        names = el.get("class") or ""
        if _TITLE_CLASS.search(names) and not _NOT_TITLE_CLASS.search(names):
            inner = _text(el)
            if len(inner) >= 10 and inner != text:
                return el
    return head


def _headline_element(block):
    """A heading with a link, a heading, the block's own link, the longest link."""
    tag = _tag(block)
    if tag in HEADINGS:
        return block
    heads = [h for h in block.iter(*HEADINGS) if _text(h)]
    if heads:
        linked = [h for h in heads if h.find(".//a[@href]") is not None or _link_ancestor(h, block) is not None]
        pool = linked or heads
        rank = min(_tag(h) for h in pool)
        return next(h for h in pool if _tag(h) == rank)
    if tag == "a":
        return block
    best, best_len = None, 0
    for a in block.iter("a"):
        if a.get("href") is None or _SKIP_HREF.match(a.get("href")):
            continue
        length = len(_link_text(a))
        if length > best_len:
            best, best_len = a, length
    if best is not None:
        return best
    for el in block.iter():
        if re.search(r"title|headline", el.get("class") or "", re.I) and _text(el):
            return el
    return None


def _link_ancestor(el, block):
    for anc in el.iterancestors():
        if _tag(anc) == "a" and anc.get("href"):
            return anc
        if anc is block:
            return None
    return None


def _describe(el, relative_to=None, bare_first: bool = False) -> list[str]:
    """Selectors that name an element: 'tag.class' forms and the bare tag.

    The first of equally good candidates wins: the bare tag for a headline
    (only its first match counts, and it survives a restyle), the class
    forms for summary and date (every match counts there).
    """
    tag = _tag(el)
    classes = _classes(el)
    names = [f"{tag}.{c}" for c in classes]
    names.insert(0 if bare_first else len(names), tag)
    names.extend(f".{c}" for c in classes)
    if tag == "p" and not el.get("class"):
        names.append("p:not([class])")
    parent = el.getparent()
    if parent is not None and parent is not relative_to:
        names.extend(f"{_tag(parent)}.{c} > {tag}" for c in _classes(parent)[:2])
    return names


def _first_text(selector: str, block) -> str | None:
    try:
        found = select(selector, block)
    except SelectorError:
        return None
    for node in found[:1]:
        return _text(node) if isinstance(node, etree._Element) else normalise_space(str(node))
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


def _headline_selector(sample: list) -> tuple[str | None, list]:
    heads = [_headline_node(b) for b in sample]
    candidates: list[str] = []
    tags = Counter()
    for block, head in zip(sample, heads):
        if head is None:
            continue
        if head is block:
            candidates.append("xpath:.")
            continue
        tags[_tag(head)] += 1
        candidates.extend(_describe(head, block, bare_first=True))
    heading_tags = sorted(t for t in tags if t in HEADINGS)
    if len(heading_tags) > 1:
        candidates.append(", ".join(heading_tags))
    if heading_tags and tags["a"]:  # teasers with headings, and bare headline links in a list
        candidates.append(", ".join(heading_tags + ["a"]))
    expected = [_text(h) if h is not None else None for h in heads]

    def agreement(selector: str) -> float:
        return sum(1 for b, want in zip(sample, expected) if want and _first_text(selector, b) == want)

    best, _ = _best(candidates, agreement, ceiling=sum(1 for want in expected if want))
    return best, heads


def _date_of(el) -> str | None:
    for attr in ("datetime", "content", "title"):
        value = el.get(attr)
        if value and _DATE_HINT.search(value):
            parsed = parse_date(value)
            if parsed:
                return parsed
    text = _text(el)
    if text and len(text) <= 80 and _DATE_HINT.search(text):
        return parse_date(text)
    return None


def _date_node(block, head):
    """The first <time>, else the first small element outside the headline, that holds a date."""
    for el in block.iter("time"):
        date = _date_of(el)
        if date:
            return el, date
    in_head = set(head.iter()) if head is not None else set()
    for el in block.iter():
        if el is block or el in in_head:
            continue
        if _tag(el) == "time" or len(el) <= 2:
            date = _date_of(el)
            if date:
                return el, date
    own = normalise_space(" ".join(_OWN_TEXT(block)))  # "<li><a>headline</a> (12/03/2024)</li>"
    if own and len(own) <= 80 and _DATE_HINT.search(own):
        date = parse_date(own)
        if date:
            return _OWN_TEXT_NODE, date
    return None, None


_OWN_TEXT_NODE = "xpath:text()"  # _date_node's answer for a date written straight into the block


def _date_selector(sample: list, heads: list) -> str | None:
    candidates: list[str] = []
    expected = []
    for block, head in zip(sample, heads):
        node, date = _date_node(block, head)
        expected.append(date)
        if node is _OWN_TEXT_NODE:
            candidates.append(_OWN_TEXT_NODE)
        elif node is not None:
            candidates.extend(_describe(node, block))
    if not any(expected):
        return None

    def agreement(selector: str) -> float:
        hits = 0
        for block, want in zip(sample, expected):
            try:
                found = select(selector, block)
            except SelectorError:
                return 0
            got = next(filter(None, (_date_of(n) if isinstance(n, etree._Element) else parse_date(str(n)) for n in found[:3])), None)
            if got == want:
                hits += 1 if want else 0.5
            elif got and not want:
                hits -= 1
        return hits

    best, _ = _best(candidates, agreement, ceiling=sum(1 if want else 0.5 for want in expected))
    return best


def _summary_candidates(block, head) -> list[str]:
    names: list[str] = []
    around_head = set(head.iter()) | set(head.iterancestors()) if head is not None else set()
    for el in block.iter("p", "div", "span", "td", "dd", "section"):
        if el is block or el in around_head:
            continue
        tag = _tag(el)
        classes = _classes(el)
        if tag == "p":
            names.extend(_describe(el, block))
            if not el.get("class"):
                names.append(_P_NOT_JUST_A_LINK)
            before = el.getprevious()
            if before is not None and _tag(before) == "p":
                names.append("p ~ p")  # the paragraphs after one holding the headline or the date line
            parent = el.getparent()
            if parent is not block and parent is not None:
                names.extend(f"{_tag(parent)}.{c} p" for c in _classes(parent)[:2])
        elif any(map(_summary_class, classes)):
            names.extend(f"{tag}.{c}" for c in classes if _summary_class(c))
        elif (tag == "td" or len(el) == 0) and len(_text(el)) >= 40:
            # A table cell, or a bare text box (<div class="ePdfLt">teaser</div> of CSS-in-JS markup).
            names.extend(_describe(el, block))
    if len(normalise_space("".join(_OWN_TEXT(block)))) >= 25:
        names.append("xpath:text()")  # a teaser written straight into the block: <dd><a>...</a><br>text</dd>
    return names


_OWN_TEXT = etree.XPath("text()", smart_strings=False)
# Plain paragraphs, less those that are only a link (<p><a>Read more »</a></p> after the teaser).
_P_NOT_JUST_A_LINK = "xpath:.//p[not(@class)][string-length(normalize-space()) > string-length(normalize-space(a))]"
_METADATA_LINE = 120  # a short paragraph holding the item's date is its metadata line, not its teaser


@lru_cache(maxsize=4096)
def _summary_class(name: str) -> bool:
    """A class that names a summary ("teaser", "field--name-body"); memoised, the regex is long."""
    return _SUMMARY_CLASS.search(name) is not None


def _summary_selector(sample: list, heads: list, date: str | None) -> str | None:
    candidates: list[str] = []
    context = []
    for block, head in zip(sample, heads):
        candidates.extend(_summary_candidates(block, head))
        headline = _text(head) if head is not None else ""
        noise = {_link_text(a) for a in block.iter("a")}
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
                    seen.extend(p for p in _paragraphs(node) if p not in seen)
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
    if size <= 60 and _DATE_HINT.search(paragraph) and parse_date(paragraph):
        return -size - 10
    if date_text and date_text in paragraph and size <= _METADATA_LINE:
        return -size
    own = size - sum(len(t) for t in noise if t in paragraph)  # text that is not a link or the date
    if own < 25 or paragraph.count(" ") < 3:
        return -size
    return own


def _link_selector(sample: list, heads: list, page_url: str) -> str | None:
    """None when the headline's link is the item's link (the extractor's default)."""
    wanted = []
    default_ok = True
    candidates: list[str] = []
    for block, head in zip(sample, heads):
        own = None
        if head is not None:
            own = head if _tag(head) == "a" and head.get("href") else head.find(".//a[@href]")
            if own is None:
                own = _link_ancestor(head, block)
        if own is not None:
            wanted.append(canonical_url(own.get("href"), page_url))
            continue
        default_ok = False
        links = [a for a in block.iter("a") if a.get("href") and not _SKIP_HREF.match(a.get("href"))]
        if not links:
            wanted.append(None)
            continue
        urls = [canonical_url(a.get("href"), page_url) for a in links]
        counts = Counter(urls)
        url = max(dict.fromkeys(urls), key=counts.get)  # the most frequent; the first on ties
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


# --- 4. the next page --------------------------------------------------------


_LOWER = "translate(., 'NEXTOLDRM', 'nextoldrm')"
_NEXT_LINKS = etree.XPath(  # a cheap first sieve, in C; _NEXT_TEXT decides
    "descendant::a[@href][string-length(.) < 60][contains(translate(@class, 'NEXT', 'next'), 'next')"
    f" or contains({_LOWER}, 'next') or contains({_LOWER}, 'older') or contains({_LOWER}, 'more')"
    " or contains(., '›') or contains(., '»') or contains(., '→') or contains(., '>')]"
)


def _next_page_selector(root, page_url: str, scope=None) -> str | None:
    """A selector for the pager's "next" link (rel=next, else near the listing), verified to find it."""
    for candidate in ("a[rel~=next]::attr(href)", "link[rel~=next]::attr(href)"):
        for value in select(candidate, root)[:1]:
            url = canonical_url(str(value), page_url)
            if url and url != canonical_url(page_url, page_url):
                return candidate
    target = None
    candidates = []
    for a in _NEXT_LINKS(scope if scope is not None else root):
        href = a.get("href")
        if not href or _SKIP_HREF.match(href):
            continue
        text = _link_text(a)
        classes = " ".join(_classes(a))
        if not (_NEXT_TEXT.match(text) or re.search(r"(^|[\s_-])next($|[\s_-])", classes)):
            continue
        target = canonical_url(href, page_url)
        candidates.extend(f"a.{c}::attr(href)" for c in _classes(a) if "next" in c.lower() or "more" in c.lower())
        parent = a.getparent()
        if parent is not None:
            candidates.extend(f"{_tag(parent)}.{c} a::attr(href)" for c in _classes(parent) if "next" in c.lower())
        if "'" not in text and text:
            candidates.append(f"xpath://a[normalize-space()='{text}']/@href")
        break
    for candidate in candidates:
        found = select(candidate, root)
        if not found:
            continue
        url = canonical_url(str(found[0]), page_url)
        if url and (target is None or url == target) and url != canonical_url(page_url, page_url):
            return candidate
    return None
