"""Selectors written back as TOML (`tidings preview --emit-config`, a crawl's suggestions).

The output reads back through monitor.config.parse to the same selectors.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from scraper.selectors import SELECTOR_KEYS

if TYPE_CHECKING:
    from scraper.selectors import Selectors


def toml_string(value: str) -> str:
    """A TOML string for a selector: a literal '...' when possible (readable), else a basic one."""
    if "'" not in value and not any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML


def selectors_lines(selectors: Selectors) -> list[str]:
    """`key = 'selector'` lines for the selectors that are set, in config order."""
    return [f"{key} = {toml_string(getattr(selectors, key))}" for key in SELECTOR_KEYS if getattr(selectors, key)]


def selectors_inline(selectors: Selectors) -> str:
    """The selectors on one line, as a suggestion in a crawl's reason."""
    return ", ".join(selectors_lines(selectors))


NAME_CHARS = 60  # a source's name shows in reports, file names (feeds) and CLI arguments
_PAGE_SUFFIX = re.compile(r"\.(s?html?|php\d?|aspx?|jsp|cfm)$")
_INDEX_PAGES = {"index", "default", "home"}


def source_name_for(url: str) -> str:
    """A valid source name from a URL's host and path: two listings of one site get two names.

    https://www.un.org/press/en/ -> 'un-org-press-en'; https://example.org/news/index.html
    -> 'example-org-news'.  The query is left out (a name, not an identity); `unique_name`
    settles any clash.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "source").lower()
    host = host[4:] if host.startswith("www.") else host
    path = unicodedata.normalize("NFKD", unquote(parts.path)).encode("ascii", "ignore").decode()  # été -> ete
    segments = [seg for seg in path.lower().split("/") if seg]
    if segments:
        segments[-1] = _PAGE_SUFFIX.sub("", segments[-1])
        if segments[-1] in _INDEX_PAGES:
            segments.pop()
    raw = "-".join([host, *segments])
    name = re.sub(r"[^a-z0-9_]+", "-", raw).strip("-_") or "source"
    return name[:NAME_CHARS].rstrip("-_") or "source"


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or `name-2`, `name-3` ... whichever no source in `taken` has."""
    taken = set(taken)
    if name not in taken:
        return name
    number = 2
    while f"{name}-{number}" in taken:
        number += 1
    return f"{name}-{number}"


def source_toml(name: str, url: str, selectors: Selectors, browser: Mapping[str, object] | None = None) -> str:
    """A ready [[source]] block that pins the selectors.

    `browser`: for a source rendered in a browser, its page steps that are
    set (key -> value); the block then says `render = "browser"` too.
    """
    lines = ["[[source]]", f"name = {toml_string(name)}", f"url = {toml_string(url)}"]
    if browser is not None:
        lines.append('render = "browser"')
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in browser.items())
    lines.extend(selectors_lines(selectors))
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
