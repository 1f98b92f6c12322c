"""What changed in an edited item: its previous text and the word diffs of it.

The vocabulary every output of an updated item shares (`tidings run`'s
report and JSON, alerts, feeds, `tidings history`), so each says the same
thing: the headline and the summary, each diffed word by word against the
item's prior archived version (monitor.wordiff).  Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from monitor import wordiff
from monitor.wordiff import Segment

PARAGRAPH = "\n\n"  # how a summary's paragraphs are joined (scraper.extract)


@dataclass(frozen=True, slots=True)
class ItemText:
    """An item's text at one version: what `previous` holds in JSON and alerts."""

    headline: str
    summary: str

    def as_json(self) -> dict:
        return {"headline": self.headline, "summary": self.summary}


@dataclass(frozen=True)
class Edit:
    """The word diffs of an item's headline and summary, old version to new."""

    headline: list[Segment]
    summary: list[Segment]

    @property
    def headline_changed(self) -> bool:
        return wordiff.changed(self.headline)

    @property
    def summary_changed(self) -> bool:
        return wordiff.changed(self.summary)


def edit(previous: Mapping, current: Mapping) -> Edit:
    """The edit from `previous` to `current`, each a mapping with "headline" and "summary"
    (an ItemText's or a Record's as_json(), or a webhook payload's item)."""
    return Edit(
        wordiff.diff(previous.get("headline") or "", current.get("headline") or ""),
        wordiff.diff(previous.get("summary") or "", current.get("summary") or ""),
    )


def render_plain_lines(change: Edit, *, compact: bool = False, color: bool = False) -> tuple[str, list[str]]:
    """The headline (marked where it changed) and the summary's lines, for plain text.

    `compact` cuts long unchanged stretches of the summary (the terminal
    report); `color` uses ANSI colours instead of `[-...-]{+...+}` marks.
    A summary that did not change gives no lines: the headline says it all.
    """
    render = wordiff.render_ansi if color else wordiff.render_plain
    headline = render(change.headline)
    if not change.summary_changed:
        return headline, []
    summary = wordiff.compact(change.summary) if compact else change.summary
    return headline, [p for p in render(summary).split(PARAGRAPH) if p.strip()]


def render_html(segments: list[Segment], *, del_style: str = "", ins_style: str = "") -> str:
    """A diff as HTML (escaped, `<del>`/`<ins>`), paragraph breaks as <br> pairs
    (a <del> may span two paragraphs, so they cannot be <p>s)."""
    marked = wordiff.render_html(segments, del_style=del_style, ins_style=ins_style)
    return marked.replace(PARAGRAPH, "<br><br>")


def summary_note(change: Edit) -> str:
    """One plain line saying what changed, for feed entries and subjects."""
    parts = []
    if change.headline_changed:
        parts.append(f"headline {wordiff.render_plain(change.headline)}")
    if change.summary_changed:
        parts.append(f"summary {wordiff.render_plain(wordiff.compact(change.summary)).replace(PARAGRAPH, ' ')}")
    return "; ".join(parts) if parts else "text unchanged"
