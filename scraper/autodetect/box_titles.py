"""What a box of stories is named: the section title it opens with.

A news home page's boxes each open with their section's name: a link to the
section's page ("Business", "WIRED Classics") or a heading before the
box's first story ("おもしろ", "Das Beste von WELTPLUS").  `boxes.py` asks
this of every box when it tells the lead boxes from the boxes of sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from scraper.autodetect.elements import Paths, tag_of
from scraper.autodetect.texts import first_text_link, is_title_text, link_text_of, text_of
from scraper.autodetect.headings import HEADINGS
from scraper.dates import parse_date
from scraper.text import is_navigation_text

SECTION_HEADINGS = ("h2", "h3")  # the h1 names the page; its sections are titled below it, parts of one box lower still


@dataclass(frozen=True)
class BoxTitle:
    """The name a box opens with, where it leads, and whether it is a link of its own."""

    name: str | None = None
    href: str | None = None
    linked: bool = False


_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")  # "March 2016", "2015": a period of one archive, no section


def section_title(box, inside: list, paths: Paths) -> BoxTitle:
    """The name of the section a box opens with ("Business", "WIRED Classics"),
    where it leads, and whether it is a link; else an empty BoxTitle.

    The name is a heading that opens the box before its first story, linked
    or not ("おもしろ", "特别推荐": a box named, not linked to its section's
    page), else a link of its own."""
    heading = opening_heading(box, inside[0])
    if heading is not None:
        name = text_of(heading)
        if section_name(name, HEADING_WORDS):
            link = next((a for a in heading.iter("a") if a.get("href")), None)
            if link is not None:
                return BoxTitle(name, link.get("href"), True)
            return _linked_title(box, inside, paths, outside=True) or BoxTitle(name)
    return _linked_title(box, inside, paths) or BoxTitle()


def _linked_title(box, inside: list, paths: Paths, outside: bool = False) -> BoxTitle | None:
    """The box's first link with text, when it reads as a section's name and
    sits outside the stories (or in the first, as no kicker repeated on each,
    unless `outside`: the box is named by a heading already); else None."""
    title = first_text_link(box)
    if title is None:
        return None
    name = link_text_of(title)
    if not section_name(name):
        return None
    around = {title}  # the title and what holds it, up to the box
    node = title
    while node is not box and node is not None:
        node = node.getparent()
        around.add(node)
    holder = next((b for b in inside if b in around), None)
    if holder is not None and (outside or not (
            holder is inside[0] and all(_opens_with_headline(b, paths) for b in inside[1:]))):
        return None
    return BoxTitle(name, title.get("href"), True)


_LINK_WORDS, HEADING_WORDS = 3, 5  # a heading before the stories names its box at more length than a link


def section_name(name: str, words: int = _LINK_WORDS) -> bool:
    """Whether a text reads as a section's name: a few words ("Sport", "Das
    Beste von WELTPLUS"), no menu word, no date or year."""
    return bool(name) and name.count(" ") < words and len(name) <= 10 * words and not is_navigation_text(name) \
        and not parse_date(name) and not _YEAR.search(name)


def opening_heading(box, first_block):
    """The box's first heading when it comes before the box's first story
    (outside it): the box's own title.  Read only up to that story."""
    for el in box.iter():
        if el is first_block:
            return None
        if tag_of(el) in HEADINGS:
            return el if tag_of(el) in SECTION_HEADINGS else None
    return None


# A box titled as more of the lead's stories continues the lead box; it is no section.
MORE_OF_THE_SAME = re.compile(
    r"^(more|other|further|latest) (top )?(news|stories|headlines)$|^(weitere|mehr) (nachrichten|meldungen|artikel)$"
    r"|^(plus d'|autres )(actualités|actus|articles)$|^(más|otras) noticias$|^altre notizie$"
    r"|^更多(新闻|新聞|资讯|資訊)$|^(その他の|もっと)ニュース$",
    re.I,
)


def _opens_with_headline(block, paths: Paths) -> bool:
    """Whether a block's first link with text is its headline (no kicker link before it)."""
    first = first_text_link(block)
    if first is None:
        return False
    text = link_text_of(first)
    return is_title_text(text) or first in paths.headings(first).links


def own_sub_sections(titles: list, page_url: str) -> bool:
    """Whether every box is titled by a link to a section below the page's own: a
    section front (/nachrichten/) made of boxes of its sub-sections (Deutschland,
    Ausland, Ukraine: /nachrichten/deutschland/ ...) lists their stories, and no
    box leads.  A home page (/, /index.html, /home, a language's /en/) has no such
    sections; a page whose boxes link to the page itself, to its sibling sections
    or to another site is no run of its own."""
    page = urlsplit(page_url)
    base = _folder(page.path)
    if _HOME_FOLDER.fullmatch(base) or not all(titles):
        return False
    for title in titles:
        target = urlsplit(urljoin(page_url, title.href or "")) if title.linked else None
        if target is None or target.netloc != page.netloc:
            return False
        if not target.path.startswith(base) or target.path.rstrip("/") == base.rstrip("/"):
            return False
    return True


# A home page's folder: the root, or a language's ("/en/", "/pt-br/", "/zh-hans/").
_HOME_FOLDER = re.compile(r"/(?:[a-z]{2}(?:[-_][a-z]{2,4})?/)?", re.I)
# A home page's own name, which names no section: "/index.html", "/home/", "/default.aspx".
_HOME_PAGE = re.compile(r"(?:index|home|default|start|main)(?:\.\w+)?", re.I)


def _folder(path: str) -> str:
    """The folder a page is in, less a home page's own name: "/news/" for /news/ and
    /news/index.html, "/" for /home and /index.html."""
    path = path or "/"
    if not path.endswith("/"):
        path = path.rsplit("/", 1)[0] + "/"
    parts = path.rstrip("/").rsplit("/", 1)
    if len(parts) == 2 and _HOME_PAGE.fullmatch(parts[1]):
        path = parts[0] + "/"
    return path
