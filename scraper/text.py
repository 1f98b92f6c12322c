"""Normalisation of scraped text.

Pure functions: the identity of an item and the decision "this text changed"
rest on them, so they must give the same answer for the same visible text
whatever the whitespace or invisible characters around it.
"""

from __future__ import annotations

import re

# Characters dropped from scraped text.  Control characters that are not
# whitespace: never visible text, but an escape sequence in a headline would
# drive the terminal `tidings run` prints to, and XML (feeds) cannot carry
# them at all.  And characters that take no room on screen: a soft hyphen (a
# hyphenation hint a CMS may add or drop at will), the zero-width space, the
# word joiner and a stray byte-order mark; removed, not made spaces, so
# "Environ\u00admental" reads "Environmental" and stays the same headline when
# the hint goes.  The zero-width (non-)joiners stay: they shape emoji and scripts.
_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u200b\u2060\ufeff]")


XML_BLANKS = re.compile(r"[ \t\n\r]+")  # the only whitespace XPath (normalize-space(), class tests) knows


def xpath_normalized(value: str) -> str:
    """`value` as XPath's normalize-space() gives it: runs of ASCII blanks (only those) made one space, ends trimmed."""
    return XML_BLANKS.sub(" ", value).strip(" ")


def normalise_space(text: str | None) -> str:
    """Collapse every run of whitespace (NBSP and friends included) to one
    space, and drop control and zero-width characters."""
    if not text:
        return ""
    # str.split() splits on every Unicode space (NBSP, thin and ideographic spaces...).
    joined = " ".join(text.split())
    if joined.isprintable():
        # Every dropped character is a control or format character, never a space,
        # so none hides in the text: the common case, without a regex pass.
        return joined
    return " ".join(_DROPPED.sub("", text).split())


# Link texts of pagers: "More", "Next »", "Older posts".  Never an item's
# headline, whoever chose the selectors: a listing's last row that is its
# "More" link is no news.
_PAGER = (
    r"next|previous|prev|more|older|newer|older posts|newer posts|older entries|newer entries|next page|previous page|"
    r"more news|more stories|more articles|more posts|load more|show more|see more|view more|read more|continue reading|"
    r"see all|view all|show all|back to top|[»«›‹→←>]+"
)
_PAGER_TEXT = re.compile(rf"^\W*(?:{_PAGER})\W*$", re.I)
# Pager words and menu words ("Home", "Contact"): a heading that reads so is no title.
_NAVIGATION_TEXT = re.compile(
    rf"^\W*(?:{_PAGER}|home|back|top|last|first|page \d+|\d+|archives?|categories|tags|login|log in|sign in|"
    r"register|search|menu|contact|contact us|about|about us)\W*$",
    re.I,
)


# Link texts that lead on to the rest of a story ("Read more »", "Continue reading →",
# "Sigue leyendo", "Weiterlesen"): the link at the end of a teaser, no part of it.
_READ_ON_TEXT = re.compile(
    r"^\W*(?:read more|read on|read the rest|continue reading|keep reading|more|more details|full story|"
    r"sigue leyendo|seguir leyendo|leer más|leer mas|leia mais|continuar lendo|weiterlesen|mehr lesen|mehr|"
    r"lire la suite|lire plus|en savoir plus|continua a leggere|leggi tutto|leggi di più|lees meer|verder lezen|"
    r"czytaj dalej|czytaj więcej|číst dál|pokračovat|читать далее|подробнее|далее|baca selengkapnya|selengkapnya|"
    r"devamını oku|xem tiếp|đọc tiếp|続きを読む|もっと見る|阅读全文|閱讀全文|查看全文|더보기|자세히)\W*$",
    re.I,
)


def is_read_on_text(text: str) -> bool:
    """Whether a link text leads on to the rest of a story ("Read more »", "Weiterlesen")."""
    return len(text) <= 40 and _READ_ON_TEXT.match(text) is not None


def is_pager_text(text: str) -> bool:
    """Whether a link text is a pager's ("More", "Next »", "Older posts")."""
    return len(text) <= 30 and _PAGER_TEXT.match(text) is not None


_PAGE_NUMBER = re.compile(r"^\W*\d{1,3}\W*$")


def is_page_number(text: str) -> bool:
    """Whether a link text is a bare page number ("2", "[3]"): a pager's, the row
    of page links below a forum's threads, never a headline (a title that is a
    number is a year, four digits, or has words)."""
    return len(text) <= 9 and _PAGE_NUMBER.match(text) is not None


def is_navigation_text(text: str) -> bool:
    """Whether a link text is a pager's or a menu's ("Home", "Contact", "Page 2")."""
    return len(text) <= 30 and _NAVIGATION_TEXT.match(text) is not None


# Every C0 and C1 control character, DEL included: ESC starts CSI and OSC
# sequences alike (window titles, OSC 52 clipboard writes), and C1's CSI/OSC
# (\x9b, \x9d) start them on their own in some terminals.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str | None) -> str:
    """Text from the network (a header, a reply, an exception's words) made safe
    to print or store as an error: no control character survives, and the
    whitespace (tabs and newlines included) becomes single spaces."""
    if not text:
        return ""
    return " ".join(_CONTROLS.sub(" ", text).split())

