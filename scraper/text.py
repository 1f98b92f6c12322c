"""Normalisation of scraped text, URLs and dates.

Pure functions: the identity of an item and the decision "this text changed"
rest on them, so they must give the same answer for the same visible text
whatever the whitespace or inline markup around it.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import idna
from lxml import etree

# Characters dropped from scraped text.  Control characters that are not
# whitespace: never visible text, but an escape sequence in a headline would
# drive the terminal `tidings run` prints to, and XML (feeds) cannot carry
# them at all.  And characters that take no room on screen: a soft hyphen (a
# hyphenation hint a CMS may add or drop at will), the zero-width space, the
# word joiner and a stray byte-order mark; removed, not made spaces, so
# "Environ\u00admental" reads "Environmental" and stays the same headline when
# the hint goes.  The zero-width (non-)joiners stay: they shape emoji and scripts.
_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u200b\u2060\ufeff]")

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
    if classes and _HIDDEN_CLASS.search(classes):
        return True
    style = el.get("style")
    return bool(style) and _HIDDEN_STYLE.search(style) is not None


# Elements that start a new paragraph when flattening a teaser to text.
BLOCK = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "aside", "blockquote",
        "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "td", "th", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "main", "nav",
        "address", "hr", "form", "fieldset",
    }
)

# Query parameters that track the reader or the session, not the article: two
# spellings of one story's URL must be one item, or it is "new" on every run.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_hsenc|_hsmi|mkt_tok|_ga"
    r"|jsessionid|phpsessid|aspsessionid[a-z]*|cfid|cftoken)$",
    re.I,
)
_SESSION_IN_PATH = re.compile(r";jsessionid=[^/?#]*", re.I)


def normalise_space(text: str | None) -> str:
    """Collapse every run of whitespace (NBSP and friends included) to one
    space, and drop control and zero-width characters."""
    if not text:
        return ""
    text = _DROPPED.sub("", text)
    # str.split() splits on every Unicode space (NBSP, thin and ideographic spaces...).
    return " ".join(text.split())


def local_tag(el: etree._Element) -> str:
    """An element's tag in lower case without its namespace ("" for a comment)."""
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def element_paragraphs(el: etree._Element) -> list[str]:
    """The visible text of an element, split where block elements break it.

    A summary made of several <p> gives several paragraphs; inline markup
    (<a>, <em>, <span>) is flattened into its paragraph.
    """
    if isinstance(el, str):
        text = normalise_space(el)
        return [text] if text else []
    if not len(el):  # no children (one <p>, a bare heading): its own text is all of it
        tag = el.tag
        if not isinstance(tag, str) or local_tag(el) in INVISIBLE:
            return []
        text = normalise_space(el.text)
        return [text] if text else []
    if _is_flat(el):
        # The common case (a headline, one <p>): one paragraph, read in C.
        text = normalise_space("".join(el.itertext()))
        return [text] if text else []
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = normalise_space("".join(current))
        if text:
            paragraphs.append(text)
        current.clear()

    # An explicit stack, not recursion: a page may nest elements thousands deep.
    stack: list = [el]
    while stack:
        node = stack.pop()
        if node is None:  # the end of a block element
            flush()
            continue
        if isinstance(node, str):  # the tail text after an element
            current.append(node)
            continue
        tag = local_tag(node)
        if tag in INVISIBLE or (node is not el and tag and is_hidden(node)):
            continue
        if tag == "br":
            current.append(" ")
        elif tag in BLOCK:
            flush()
        if tag and node.text:
            current.append(node.text)
        if tag in BLOCK:
            stack.append(None)
        for child in reversed(node):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)
    flush()
    return paragraphs


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


def element_text(el: etree._Element) -> str:
    """Visible text of an element on one line (a headline, a date)."""
    return " ".join(element_paragraphs(el))


def canonical_url(href: str | None, base_url: str) -> str | None:
    """Absolute, canonical form of a link, or None if it is not a web link.

    Lower-case scheme and host, no default port, no fragment, no tracking
    parameters: the same article reached by two spellings of its URL is one
    item.
    """
    if href is None:
        return None
    if _PLAIN_PATH.fullmatch(href):
        # The common link, "/news/2024/item": the page's origin plus the path, which
        # urljoin and urlsplit would give back unchanged (no dot segments, query,
        # fragment, parameters or characters they strip).
        origin = _origin(base_url)
        if origin:
            return origin + href
    return _canonical_url(href, base_url)


_PLAIN_PATH = re.compile(r"/(?![/.])(?:[A-Za-z0-9_~!$&'()*+,=:@-]|%[0-9A-F]{2}|\.(?!\.?(?:/|\Z))|/(?![/.]))*")


@lru_cache(maxsize=256)
def _origin(base_url: str) -> str | None:
    """'scheme://host[:port]' of a page, in canonical form (None if not a web page)."""
    root = _canonical_url("/", base_url)
    return root[:-1] if root and root.endswith("/") else None


@lru_cache(maxsize=16384)
def _canonical_url(href: str, base_url: str) -> str | None:
    # Cached: urllib is slow, and a block links its story twice (headline,
    # "read more"), every page of a site repeats its menus.
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(base_url, href)
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if _UNSAFE.search(host):  # no whitespace or control characters in a host name
        return None
    if not host.isascii():  # an IDN host: its ASCII form, as links to it may also be written
        host = _ascii_host(host)
        if not host.strip("."):  # nothing but characters the mapping removes (a soft hyphen)
            return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        host = parts.netloc.rsplit("@", 1)[0] + "@" + host
    query = parts.query
    if query:
        # Read and written back byte for byte (latin-1 maps each byte to one
        # character): "?titel=M%FCnchen" from a site that encodes its queries
        # in ISO-8859-1 is not UTF-8, and decoding it as UTF-8 would turn the
        # escape into U+FFFD, a link to another page.
        pairs = parse_qsl(_escape(query), keep_blank_values=True, encoding="latin-1")
        kept = [(k, v) for k, v in pairs if not TRACKING_PARAMS.match(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept, encoding="latin-1")
    path = _SESSION_IN_PATH.sub("", parts.path) or "/"
    return urlunsplit((scheme, host, _escape(path), _escape(query), ""))


_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


def _ascii_host(host: str) -> str:
    """The ASCII (punycode) form of an international host name, as browsers
    write it (UTS #46, non-transitional).  Not Python's "idna" codec: it
    follows IDNA 2003, which rewrites "faß.de" as "fass.de" and "ς" as "σ",
    another site than the one linked; nor idna.encode: its strict checks
    refuse host names browsers open (an underscore, a symbol)."""
    try:
        host = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    labels = []
    for label in host.split("."):
        try:
            labels.append(label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii"))
        except UnicodeError:
            return host
    return ".".join(labels)
_UNESCAPED = re.compile(r"[^\x21-\x7e]+")
_LOWER_ESCAPE = re.compile(r"%(?=[0-9a-fA-F]{2})(?:[0-9A-F][a-f]|[a-f][0-9a-fA-F])")


def _escape(text: str) -> str:
    """Percent-encode (as UTF-8) what a URL cannot hold as is, and write every
    escape in upper case, as browsers send them.  "/café", "/caf%c3%a9" and
    "/caf%C3%A9" are one link, so one item; and a canonical URL never ends in
    (or holds) a space that the next pass would strip."""
    text = _UNESCAPED.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "surrogatepass")), text)
    return _LOWER_ESCAPE.sub(lambda m: m.group().upper(), text) if "%" in text else text


_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}")
_HAS_DIGIT = re.compile(r"\d")
_YEAR_FIRST = re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b")


def parse_date(text: str | None) -> str | None:
    """ISO 8601 form of a date or date-time written in a page, else None.

    Only the date is kept when the text gives no time of day, so a listing
    that shows "15 November 2021" does not gain a made-up midnight.
    """
    return _parse_date(str(text)) if text else None  # str(): a smart string would keep its page alive


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> str | None:
    # Cached: a listing is crawled again and again with mostly the same dates,
    # and detection reads a sample's dates several times.
    text = normalise_space(text)
    if not text or not _HAS_DIGIT.search(text) or len(text) > 80:
        return None
    if _WEEK_ONLY.fullmatch(text):  # "2024-W11" names a week, not the day something was published
        return None
    text = _FOREIGN_DATE.sub(_in_english, _CJK_DATE.sub(_cjk_in_english, text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        has_time = "T" in text or _TIME_OF_DAY.search(text) is not None
    except ValueError:
        part, parsed = _date_part(text) or (None, _parse_loose(text))
        if parsed is None:
            return None
        has_time = _TIME_OF_DAY.search(part or text) is not None
    if not 1900 <= parsed.year <= 2200:
        return None
    if has_time:
        return parsed.isoformat()
    return parsed.date().isoformat()


# A date inside other text ("Updated 12 Mar 2024 | 4 min read", "3 comments ·
# Nov 5, 2024"): parsed on its own first, since a fuzzy parse of the whole
# text would take the other numbers for the day or the year.
_MONTH_NAME = r"[A-Za-z]{3,9}\.?"
_DATE_PART = re.compile(
    r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAME},?\s+\d{{4}}"
    rf"|{_MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    r"(?:\s*[,|@\u2013\u2014-]?\s*(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?"
    # ...and its zone, when it is one a reader cannot mistake: UTC/GMT/Z or a
    # numeric offset ("14:05 GMT", "2:05 PM +0100", "14:05 UTC+2").  Zone names
    # such as EST or CET are ambiguous across countries and stay out (the time
    # is kept naive), as do offsets no zone has (beyond 14 hours: "+2500 views"),
    # and UTC followed by such an offset is not UTC.
    r"(?:\s*(?:UTC|GMT)\s*[+-](?:1[0-4]|0?\d)(?::?[0-5]\d)?\b|\s+[+-](?:1[0-4]|0\d):?[0-5]\d\b"
    r"|\s*(?:UTC|GMT|Z)\b(?!\s*[+-]\d))?)?",
    re.I,
)


_ZONE_BEFORE_OFFSET = re.compile(r"(?:UTC|GMT)\s*(?=[+-]\d)", re.I)


_WEEK_ONLY = re.compile(r"\d{4}-?W\d{2}", re.I)
# A label that says the date after it is not the publication date.
_UPDATE_LABEL = re.compile(
    r"\b(?:updated|modified|revised|edited|aktualisiert|mis\s+à\s+jour|actualizado|aggiornato)\b[^\d]{0,12}$", re.I
)


def is_update_date(text: str) -> bool:
    """Whether `text` gives an update date ("Updated: 14 March 2024"), not a publication date."""
    match = _DATE_PART.search(text)
    return bool(match) and _UPDATE_LABEL.search(text[: match.start()]) is not None


def _date_part(text: str) -> tuple[str, datetime] | None:
    """The first date written inside `text` that parses (in a form dateutil
    reads unambiguously: a year-first date is never read day first), and its
    value; a date labelled as an update ("Updated: 14 March 2024 | Published:
    12 March 2024") only when no other is given."""
    fallback = None
    for part, parsed, update in _date_parts(text):
        if not update:
            return part, parsed
        fallback = fallback or (part, parsed)
    return fallback


def _date_parts(text: str):
    """Each date written in `text` that parses, its value, and whether it is labelled an update."""
    start = 0
    for match in _DATE_PART.finditer(text):
        update = _UPDATE_LABEL.search(text[start : match.start()]) is not None
        start = match.end()
        part = match.group(0)
        year_first = re.match(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", part)
        if year_first:
            year, month, day = (int(n) for n in year_first.groups())
            if not 1 <= month <= 12:
                continue
            part = f"{day} {_MONTHS[month - 1]} {year}{part[year_first.end():]}"
        # "UTC+2" is two hours ahead to a reader; dateutil reads it the POSIX way (behind).
        part = _ZONE_BEFORE_OFFSET.sub("", part)
        parsed = _parse_loose(part)
        if parsed is not None:
            yield part, parsed, update


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Month names of the languages press releases of European and UN bodies come
# in (German, French, Spanish, Italian, Dutch, Portuguese), full and short,
# in the order day, month, year these languages write them: "12. März 2024",
# "1er février 2024", "3 de abril de 2024".  Rewritten in English before parsing.
_FOREIGN_MONTHS = (
    "januar janvier janv enero gennaio januari janeiro jänner",
    "februar février fevrier févr fevr febrero febbraio februari fevereiro",
    "märz maerz mrz mär mars marzo maart março marco",
    "april avril avr abril aprile",
    "mai mayo maggio mei maio",
    "juni juin junio giugno junho",
    "juli juillet juil julio luglio julho",
    "august août aout agosto augustus",
    "september septembre septiembre setiembre settembre setembro",
    "oktober octobre octubre ottobre outubro okt",
    "november novembre noviembre novembro",
    "dezember décembre decembre déc dec diciembre dicembre december dezembro dez",
)
_FOREIGN_MONTH = {name: _MONTHS[i] for i, names in enumerate(_FOREIGN_MONTHS) for name in names.split()}
_FOREIGN_DATE = re.compile(
    r"\b(\d{1,2})(?:\.|er|º|°)?\s+(?:de\s+)?(" + "|".join(sorted(_FOREIGN_MONTH, key=len, reverse=True)) + r")\.?,?"
    r"\s+(?:de\s+|del\s+)?(\d{4})\b",
    re.I,
)


# Chinese, Japanese and Korean dates: "2024年3月12日", "2024년 3월 12일", and
# years counted in an era, as Japanese and Taiwanese government sites write
# them: "令和6年3月12日" (Reiwa 6, 2024), "平成31年4月30日", "令和元年" (its first
# year), "民國113年3月12日" (Republic of China 113, 2024).
_CJK_DATE = re.compile(r"(令和|平成|昭和|民國|民国)?\s*(?<!\d)(\d{1,4}|元)\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
_ERA_YEAR_ZERO = {"令和": 2018, "平成": 1988, "昭和": 1925, "民國": 1911, "民国": 1911}


def _cjk_in_english(match: re.Match) -> str:
    """The date in English; a year the text does not give in full (an era this
    does not know, "6年3月12日") is no date, rather than a fuzzy parse's guess
    (it read "令和6年3月12日" as 6 March 2012)."""
    era, year, month, day = match.groups()
    if era:
        year = _ERA_YEAR_ZERO[era] + (1 if year == "元" else int(year))
    elif len(year) == 4:
        year = int(year)
    else:
        return " "
    month = int(month)
    return f"{int(day)} {_MONTHS[month - 1]} {year} " if 1 <= month <= 12 else " "


def _in_english(match: re.Match) -> str:
    return f"{match.group(1)} {_FOREIGN_MONTH[match.group(2).lower()]} {match.group(3)}"


def _parse_loose(text: str) -> datetime | None:
    from dateutil import parser as dateparser

    # Two different defaults: a field the text does not give comes out
    # different, so a bare "12" or "Page 3" is not mistaken for a date.
    # "Posted 2024-03-07 by ..." is year-month-day; only other numeric dates are day first.
    dayfirst = _YEAR_FIRST.search(text) is None
    try:
        first = dateparser.parse(text, default=datetime(2000, 1, 1), fuzzy=True, dayfirst=dayfirst, yearfirst=not dayfirst)
        second = dateparser.parse(text, default=datetime(2001, 2, 2), fuzzy=True, dayfirst=dayfirst, yearfirst=not dayfirst)
    except (ValueError, OverflowError, TypeError):
        return None
    if first.year != second.year or first.month != second.month:
        return None
    if first.day != second.day:
        return None
    try:
        first.utcoffset()  # an offset of a day or more is no zone ("+2500"): not a date
    except ValueError:
        return None
    return first


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
