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


def normalise_space(text: str | None) -> str:
    """Collapse every run of whitespace (NBSP and friends included) to one
    space, and drop control and zero-width characters."""
    if not text:
        return ""
    text = _DROPPED.sub("", text)
    # str.split() splits on every Unicode space (NBSP, thin and ideographic spaces...).
    return " ".join(text.split())

