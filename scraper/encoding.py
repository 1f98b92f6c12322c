"""Turning a page's bytes into text when its charset labels may lie.

Browsers trust the HTTP header first, but on the sites a monitor watches the
label is often wrong: a server that says ISO-8859-1 in front of a UTF-8 page,
or UTF-8 in front of a page saved in windows-1252.  Reading such a page with
its label turns every accented headline into mojibake, and mojibake in a
headline is an edit: the monitor would report every item "updated", then
"updated" back when the site is fixed.  So the bytes decide when they can:

1. a byte-order mark names the encoding;
2. bytes that are valid UTF-8 (and not plain ASCII) are UTF-8: text in any
   other encoding is practically never valid UTF-8 by chance;
3. otherwise the first declared encoding (header, then <meta>) the bytes are
   valid in; but a header naming ISO-8859-1 or windows-1252 yields to a
   <meta> naming another encoding: that header is the server's default
   (Apache's AddDefaultCharset, Java servlets), not the page's, and those
   encodings accept any bytes, so a Shift_JIS or GB2312 page would always
   "decode" as mojibake;
4. otherwise a statistical guess, preferring windows-1252 (the web's default
   for unlabelled pages) when the guess cannot tell it from its neighbours;
5. otherwise the header's encoding (or UTF-8) with replacement characters.
"""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

WEB_DEFAULT = "cp1252"
_UNICODE_FAMILY = ("utf-16", "utf-32")


def decode_html(body: bytes, content_type: str | bytes | None = None) -> str:
    """The text of an HTML page, from its bytes and its Content-Type header."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    bom, _ = read_bom(body)
    if bom:
        return body.decode(resolve_encoding(bom) or bom, errors="replace").lstrip("\ufeff")
    declared = _declared(_header_encoding(content_type), _meta_encoding(body))
    if not body.isascii() and not any(e.startswith(_UNICODE_FAMILY) for e in declared):
        text = _strict(body, "utf-8")
        if text is not None:
            return text
    for encoding in declared:
        text = _strict(body, encoding)
        if text is not None:
            return text
    if body.isascii():
        return body.decode("ascii")
    guess = _guess(body)
    if guess:
        text = _strict(body, guess)
        if text is not None:
            return text
    return body.decode(declared[0] if declared else "utf-8", errors="replace")


def _declared(header: str | None, meta: str | None) -> list[str]:
    """The declared encodings, the most trustworthy first."""
    if header == WEB_DEFAULT and meta and meta != header:  # the ISO-8859-1, ASCII and windows-1252 labels
        return [meta, header]
    return [e for e in (header, meta) if e]


def _header_encoding(content_type: str | None) -> str | None:
    return _resolve(http_content_type_encoding(content_type)) if content_type else None


def _meta_encoding(body: bytes) -> str | None:
    """The <meta> charset; one naming UTF-16 or UTF-32 means UTF-8 (the HTML
    standard's rule): a page whose <meta> could be read as ASCII is not in a
    16-bit encoding, whatever an editor that saved it as UTF-8 wrote there."""
    meta = _resolve(html_body_declared_encoding(body))
    return "utf-8" if meta and meta.startswith(_UNICODE_FAMILY) else meta


def _resolve(label: str | None) -> str | None:
    """A Python codec name for a charset label (WHATWG aliases), if known."""
    if not label:
        return None
    try:
        return resolve_encoding(label)
    except LookupError:
        return None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


# The legacy encodings web pages are written in (the WHATWG Encoding
# Standard's list, less the rare Mac and Thai ones).  Left to choose among all
# Python's codecs, charset-normalizer reads a short unlabelled windows-1252
# page ("Zürich talks") as a DOS code page (cp775, cp850) that no web page uses.
WEB_ENCODINGS = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "koi8_r", "koi8_u", "cp866",
    "gb18030", "big5", "euc_jp", "shift_jis", "euc_kr", "iso2022_jp",
)


def _guess(body: bytes) -> str | None:
    """charset-normalizer's best guess among web encodings; windows-1252 among equally good ones."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(body, cp_isolation=list(WEB_ENCODINGS)))
    if not matches:
        return None
    best = matches[0]
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    if any(WEB_DEFAULT in (m.encoding, *m.could_be_from_charset) for m in tied):
        return WEB_DEFAULT
    return best.encoding
