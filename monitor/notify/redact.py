"""Keeping secrets out of notifier errors.

A notifier's error is stored (`deliveries.last_error`), logged, shown by
`tidings status` and printed by `tidings notify --test`.  Its words come
partly from elsewhere: a receiver's answer ("Cannot POST /hooks/TOKEN"), an
SMTP server's refusal, a library's exception quoting the URL it choked on.
So every error is redacted at one place (`Notifier.deliver`) of every piece
of every secret the notifier knows: the values of its `*_env` variables and,
for URLs, their userinfo, path, query, fragment and each part of them, plain
and percent-decoded.  Only the scheme, host and port of a webhook's URL are
left to name where the failure was.
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import unquote

REDACTED = "[redacted]"
MIN_SECRET = 4  # a whole secret value at least this long is always redacted
MIN_PIECE = 6  # a part of a URL (a path segment, a query value) from this length on

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)"
                  r"(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?$", re.S)


def secret_pieces(value: str) -> set[str]:
    """Every substring of a secret value that must never be shown.

    A value may hold several URLs (Apprise's `urls_env`), separated by spaces
    or commas; each URL gives its parts after the scheme, including the host
    (an Apprise host is often a token).  Callers name what may still be shown.
    """
    whole = {value.strip(), *(word for word in re.split(r"[\s,]+", value) if word)}
    pieces = set(whole)
    for word in whole:
        pieces |= _url_pieces(word)
    found = set()
    for piece in pieces:
        found |= {piece, unquote(piece), unquote(piece.replace("+", " "))}
    return {p for p in found if len(p) >= MIN_PIECE or (p in whole and len(p) >= MIN_SECRET)}


def _url_pieces(text: str) -> set[str]:
    match = _URL.match(text)
    if not match:
        return set()
    authority, path = match["authority"], match["path"]
    query, fragment = match["query"] or "", match["fragment"] or ""
    userinfo, _, hostport = authority.rpartition("@")
    pieces = {text[len(match["scheme"]) + 3:], authority, hostport, userinfo, path, query, fragment,
              path + ("?" + query if query else "")}
    pieces |= set(userinfo.split(":"))
    pieces |= set(hostport.rsplit(":", 1))  # a "port" that is no number may be a token
    pieces |= set(path.split("/"))
    for pair in re.split(r"[&;]", query):
        pieces |= {pair, *pair.split("=", 1)}
    return {p for p in pieces if p}


def redact(text: str, secrets: Iterable[str], public: Iterable[str] = ()) -> str:
    """`text` with every secret piece (longest first, any case) replaced by [redacted].

    `public` pieces (a webhook's host and port) are shown even if a secret holds them.
    """
    shown = {p.lower() for p in public if p}
    pieces = sorted({p for p in secrets if p and p.lower() not in shown}, key=len, reverse=True)
    if not pieces:
        return text
    pattern = re.compile("|".join(re.escape(p) for p in pieces), re.I)
    return pattern.sub(REDACTED, text)
