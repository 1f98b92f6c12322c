"""Selectors written back as TOML (`tidings preview --emit-config`, a crawl's suggestions).

The output reads back through monitor.config.parse to the same selectors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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


def source_name_for(url: str) -> str:
    """A valid source name from a URL's host: https://www.un.org/press -> 'un-org'."""
    host = (urlsplit(url).hostname or "source").lower()
    host = host[4:] if host.startswith("www.") else host
    return re.sub(r"[^a-z0-9_-]+", "-", host).strip("-") or "source"


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
