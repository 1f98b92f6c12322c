"""Keyword filters: which items a source reports, or a notifier alerts on.

`include` and `exclude` (config keys of a [[source]], [defaults] or a
[[notify]] table) are lists of words or regular expressions written
between slashes (`"/water|climate/"`), matched case-insensitively against
an item's headline and summary.  A word matches as a whole word ("water"
does not match "watershed"); a regular expression matches anywhere.

An item passes when it matches some `include` pattern (or there is none)
and no `exclude` pattern.  Filters decide what is *told*, never what is
archived: the archive stays complete.  Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from monitor.validators import str_list


def compile_pattern(text: str) -> re.Pattern:
    """One filter entry: `/regex/` as written, anything else as a whole word or phrase.

    Raises ValueError naming the entry when the regular expression is invalid.
    """
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        try:
            return re.compile(text[1:-1], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{text!r} is not a valid regular expression: {exc}") from None
    # Word boundaries by lookaround, not \b: a word that starts or ends with a
    # sign ("C++", "#climate") still matches only where it stands alone.
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)


def patterns(value: Any) -> tuple[str, ...]:
    """Config validator of `include` / `exclude`: a list of words or /regexes/, each checked."""
    entries = str_list(value)
    for entry in entries:
        compile_pattern(entry)
    return entries


@dataclass(frozen=True)
class TextFilter:
    """The `include` and `exclude` patterns of one source or notifier, as written."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    @cached_property
    def _compiled(self) -> tuple[tuple[re.Pattern, ...], tuple[re.Pattern, ...]]:
        return (tuple(compile_pattern(p) for p in self.include), tuple(compile_pattern(p) for p in self.exclude))

    def passes(self, headline: str, summary: str = "") -> bool:
        """Whether an item with this text is told (reported, alerted)."""
        if not self:
            return True
        text = f"{headline}\n{summary or ''}"
        include, exclude = self._compiled
        if include and not any(p.search(text) for p in include):
            return False
        return not any(p.search(text) for p in exclude)


def split_passing(text_filter: TextFilter, records: list) -> tuple[list, list]:
    """(records that pass, records that do not), each in order; records have .headline and .summary."""
    passing, held = [], []
    for record in records:
        (passing if text_filter.passes(record.headline, record.summary) else held).append(record)
    return passing, held
