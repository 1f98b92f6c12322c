"""What every stage of detection reads off an element.

Its tag, the classes that say what it is (not its state or position), its
place in the page (inside navigation, a footer or a sidebar? inside the main
content?).  Facts about an element's place are memoised top-down (`Paths`),
because every stage asks again about the same elements.  What its text says
is read in scraper.autodetect.texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from scraper.autodetect.headings import Headings, headings_of
from scraper.selectors import IDENT
from scraper.memo import string_memo


_VOLATILE_CLASS = re.compile(
    r"\d|^(css|sc|jsx|svelte|emotion)-|^(first|last|odd|even|active|is-active|current|selected|clearfix|new|hidden|"
    r"featured|is-featured|sticky|lead|top|highlight|highlighted|promoted|large|big|wide|small)$",
    re.I,
)
_VOLATILE_SUFFIX = re.compile(r"(--|__)(first|last|featured|lead|large|big|wide|small|top|highlight\w*|promoted|sticky)$", re.I)
CSS_IDENT = re.compile(rf"^{IDENT}$")
_BOUNDARY = r"(?:^|[\s_-])"
_BAD_REGION = re.compile(
    _BOUNDARY + r"(nav|navbar|navigation|menu|menus|menubar|submenu|subnav|footer|header|masthead|"
    r"sidebar|breadcrumb|breadcrumbs|pager|pagination|share|sharing|social|widget|widgets|skip|cookie|cookies|"
    r"trending|popular|most-read|mostread|sitemap|site-map|quicklinks|quick-links|toolbar|topbar|utility|related|see-also|comments?|newsletter|promo|ad|ads|advert|"
    r"slider|sliders|slides|slideshow|carousel|flexslider|bxslider|swiper|ticker|newsticker|continu|marquee|tagcloud|tag-cloud|label-cloud|cloud-label)"
    r"(?=$|[\s_-])",
    re.I,
)
_MAIN_REGION = re.compile(_BOUNDARY + r"(main|content|primary|main-content|maincontent)(?=$|[\s_-])", re.I)
# Not <form>: ASP.NET pages wrap everything in one.
_BAD_TAGS = frozenset({"nav", "footer", "aside", "menu"})
_STATE_PREFIX = re.compile(r"^(has|with|without|no|one|two|is|show|hide)-", re.I)
# "skinner-ads-enabled", "sidebar-open", "nav-hidden": a page wrapper's state, said at the end.
_STATE_SUFFIX = re.compile(r"[-_](enabled|disabled|active|inactive|visible|hidden|open|opened|closed|collapsed|expanded|loaded|ready|on|off)$", re.I)
# A blog platform's classes naming a post's category, tag or format ("category-slideshow",
# "tag-social", "post_format-post-format-video"): what the post is about, not where it sits.
_TAXONOMY_PREFIX = re.compile(r"^(category|tag|format|post_format|type|status|topic|cat)[-_]", re.I)
_BAD_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})
_CONTENT_TAGS = frozenset({"main", "article"})




@dataclass(slots=True, eq=False)
class _Node:
    """What detection needs to know about an element's place in the page.

    Shared by all the rows that look alike under one parent (Paths._make), so
    never changed once made (not declared frozen: a frozen dataclass is made
    through object.__setattr__, five times the cost, and a page makes
    hundreds); compared by identity, as Paths keys its memo by the parent's
    id (every _Node stays alive in that memo)."""

    key: int  # interned tag-and-class path from the root
    bad: bool  # inside navigation, header, footer, sidebar...
    content: bool  # inside <main> or an <article>
    depth: int
    main: bool = False  # inside <main>, role=main, or a container named main/content/primary
    core: bool = False  # inside <main>, role=main, or a container named just "main", "primary"...




def tag_of(el: etree._Element) -> str:
    """An element's tag in lower case; "" for a comment or processing instruction (their tag is no string)."""
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def classes_of(el) -> tuple[str, ...]:
    """Classes that describe what an element is, not its state or position."""
    return _stable_classes(el.get("class") or "")


def stable_classes(names: str) -> tuple[str, ...]:
    """classes_of for a class attribute's value (memoised)."""
    return _stable_classes(names)


def generated_classes_of(el) -> tuple[str, ...]:
    """Classes a CSS-in-JS build generated: the last resort to name a part inside
    a block (a date in <div class="kZMuLp">), never an item or a group."""
    return _generated_classes(el.get("class") or "")


@string_memo(4096)
def _generated_classes(names: str) -> tuple[str, ...]:
    return tuple(
        c for c in names.split()
        if _generated(c) and not _VOLATILE_CLASS.search(c) and not _VOLATILE_SUFFIX.search(c) and CSS_IDENT.match(c)
    )


@string_memo(4096)
def _stable_classes(names: str) -> tuple[str, ...]:
    # Memoised: a page repeats a few class attributes thousands of times.
    return tuple(
        c for c in names.split()
        if not _VOLATILE_CLASS.search(c) and not _VOLATILE_SUFFIX.search(c) and CSS_IDENT.match(c) and not _generated(c)
    )


_HASH = re.compile(r"^[A-Za-z]{5,8}$")
_WORDS_CASED = re.compile(r"^[a-z]+(?:[A-Z][a-z]+)*$|^(?:[A-Z][a-z]+)+$")


def _generated(name: str) -> bool:
    """A class a CSS-in-JS build generates, changed by the next deploy: a hash of
    mixed case ("kFnjUG", "hLHDWh") or a component name with one
    ("SummaryItemHedLink-civMjp").  Words in camel case ("newsItem") are kept."""
    if "-" in name:
        head, tail = name.rsplit("-", 1)
        # "SummaryItemHedLink-civMjp": a component's name and a hash; "summary-item": words
        return (head[:1].isupper() and _HASH.match(tail) is not None and not tail.isupper() and not tail.islower()
                and not tail.istitle())  # "Card-Title": words
    return (
        _HASH.match(name) is not None and not name.isupper() and not name.islower()
        and _WORDS_CASED.match(name) is None
    )


class Paths:
    """Memoised facts about elements, computed top-down without recursion."""

    def __init__(self) -> None:
        self.nodes: dict = {}
        self.keys: dict[tuple[int, str], int] = {}
        self._alike: dict = {}  # (id of the parent's _Node, tag, class, id, role) -> _Node
        self._above_root = _Node(0, False, False, -1, False)  # kept: _alike's keys hold its id
        self.credited: dict = {}  # blocks on the way up from title links -> longest title
        # Answers scoring needs again when it ranks the groups a second time (headings as clues):
        self.one_story: dict = {}  # block -> whether it holds one story (boxes.join_split_boxes)
        self.story_href: dict = {}  # block -> where its headline leads (boxes.lead_boxes)
        self.title_like: dict = {}  # link -> whether it reads as a story's title (boxes)
        self.other_text: dict = {}  # element -> length of its text outside links (scoring)
        self._headings: Headings | None = None
        self.index = None  # the page's PageIndex (item_selector.page_index), made on first use
        self.page_url = ""  # the page's address (boxes.lead_boxes: boxes of the page's own sub-sections)

    def headings(self, el) -> Headings:
        """What the headings of `el`'s page hold, found once per detection (see Headings)."""
        if self._headings is None:
            self._headings = headings_of(el.getroottree().getroot())
        return self._headings

    def of(self, el) -> _Node:
        """The element's _Node, made (with its ancestors' not yet known) on first use."""
        nodes = self.nodes
        node = nodes.get(el)
        if node is not None:
            return node
        parent = el.getparent()  # most often known: the row's list, the link's row
        above = nodes.get(parent) if parent is not None else self._above_root
        if above is not None:
            node = nodes[el] = self._make(el, above)
            return node
        chain = []
        cur = el
        while cur is not None and cur not in self.nodes:
            chain.append(cur)
            cur = cur.getparent()
        parent = self.nodes[cur] if cur is not None else self._above_root
        for el_ in reversed(chain):
            parent = self._make(el_, parent)
            self.nodes[el_] = parent
        return parent

    def _make(self, el, parent: _Node) -> _Node:
        tag = el.tag  # tag_of, inlined: the climb from every title link makes hundreds of these
        tag = tag.lower() if isinstance(tag, str) else ""
        get = el.get
        names, ident, role = get("class"), get("id"), get("role")
        # The rows of a list look alike under one parent: their facts are one _Node (never changed).
        alike = (id(parent), tag, names, ident, role)
        node = self._alike.get(alike)
        if node is None:
            node = self._alike[alike] = self._new_node(tag, _look(tag, names, ident, role), parent)
        return node

    def _new_node(self, tag: str, look: _Look, parent: _Node) -> _Node:
        bad = look.bad and not (parent.core and look.only_widget)
        # not bad: a platform's "widget" holding the main column's posts (Blogger's div.widget.Blog in #main)
        key = self.keys.setdefault((parent.key, look.sig), len(self.keys) + 1)
        bad = parent.bad or bad or (tag == "header" and not parent.content)
        return _Node(key, bad, parent.content or look.content, parent.depth + 1, parent.main or look.main,
                     parent.core or look.core)


# Not "content": WordPress's #content and Blogger's .content-outer wrap the sidebar too.
_CORE_NAME = re.compile(r"^(main|primary|main-content|maincontent|primary-content|site-main)$", re.I)
_WIDGET_NAME = re.compile(_BOUNDARY + r"widgets?(?=$|[\s_-])", re.I)


@string_memo(4096)
def _core(tag: str, names: str | None, ident: str | None, role: str | None) -> bool:
    """The page's main column by a name of its own (not "content", often a wrapper of every column)."""
    return tag == "main" or role == "main" or any(_CORE_NAME.match(n) for n in f"{names or ''} {ident or ''}".split())


@string_memo(4096)
def _only_widget(tag: str, names: str | None, ident: str | None, role: str | None) -> bool:
    """Whether "widget" is all that makes an element a region around the content: blog
    platforms and page builders call every box a widget, the main column's posts too."""
    if tag in _BAD_TAGS or (role or "").lower() in _BAD_ROLES:
        return False
    bad = [n for n in f"{names or ''} {ident or ''}".split() if _bad_name(n)]
    return all(_WIDGET_NAME.search(n) and not _bad_name(_WIDGET_NAME.sub(" ", n)) for n in bad)


@dataclass(frozen=True, slots=True)
class _Look:
    """What an element's tag and names alone say of its place (Paths adds its ancestors')."""

    sig: str  # tag and stable classes: the step of its path
    bad: bool  # names a region around the content (navigation, sidebar...)
    main: bool  # names the main region (main, content, primary)
    core: bool  # names the main column itself (see _core)
    only_widget: bool  # bad only for being called a widget (see _only_widget)
    content: bool  # <main>, <article> or role=main


@string_memo(4096)
def _look(tag: str, names: str | None, ident: str | None, role: str | None) -> _Look:
    """What an element says of its place by its tag and names alone: one memoised
    answer per look, as a page repeats a few looks thousands of times."""
    # Modifier classes ("slice--wide") vary between rows of one listing.
    sig = tag + "." + ".".join(sorted(c for c in _stable_classes(names or "") if "--" not in c))
    words = f"{names or ''} {ident or ''}"
    main = tag == "main" or role == "main" or _MAIN_REGION.search(words) is not None
    bad = _is_bad_region(tag, words.split(), role)
    return _Look(sig, bad, main, _core(tag, names, ident, role), bad and _only_widget(tag, names, ident, role),
                 tag in _CONTENT_TAGS or role == "main")


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


@string_memo(4096)
def _bad_name(name: str) -> bool:
    """A class or id naming a region around the content ("sidebar"), not a wrapper's state ("has-sidebar")."""
    return (not _STATE_PREFIX.match(name) and not _STATE_SUFFIX.search(name) and not _TAXONOMY_PREFIX.match(name)
            and _BAD_REGION.search(name) is not None)




def common_ancestor(members: list) -> etree._Element | None:
    """The element the blocks meet in, climbing them level by level: the listing's
    container, around which its pager and its neighbours are looked for (None if they never meet)."""
    level = set(members)
    while len(level) > 1:
        level = {el.getparent() for el in level}
        if None in level:
            return None
    return next(iter(level))


def is_inside(el: etree._Element, container: etree._Element) -> bool:
    """Whether `el` lies strictly inside `container` (the container itself is not).

    For one element; scoring's _all_inside and _homes_inside ask it of a
    listing's thousand rows at once, sharing the climb."""
    return any(anc is container for anc in el.iterancestors())


def link_ancestor(el: etree._Element, block: etree._Element) -> etree._Element | None:
    """The link around `el` inside `block`, if any: a headline may sit inside its link (<a><h2>...</h2></a>)."""
    for anc in el.iterancestors():
        if tag_of(anc) == "a" and anc.get("href"):
            return anc
        if anc is block:
            return None
    return None

