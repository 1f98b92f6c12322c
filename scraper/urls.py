"""The canonical form of a link: one item per article, however its URL is spelled.

Lower-case scheme and host, no default port, no fragment, no tracking or
session parameters, escapes written as browsers send them: the same article
reached by two spellings of its URL is one item, not "new" on every run.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import idna
from scraper.memo import string_memo

# Query parameters that track the reader or the session, not the article: two
# spellings of one story's URL must be one item, or it is "new" on every run.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_hsenc|_hsmi|mkt_tok|_ga"
    r"|jsessionid|phpsessid|aspsessionid[a-z]*|cfid|cftoken)$",
    re.I,
)
_SESSION_IN_PATH = re.compile(r";jsessionid=[^/?#]*", re.I)


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


@string_memo(256)
def _origin(base_url: str) -> str | None:
    """'scheme://host[:port]' of a page, in canonical form (None if not a web page)."""
    root = _canonical_url("/", base_url)
    return root[:-1] if root and root.endswith("/") else None


@string_memo(16384)
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

