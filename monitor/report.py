"""What a run found, and its two renderings: JSON for machines, text for people."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from monitor.changes import ItemText, edit, render_plain_lines
from monitor.wordiff import printable
from monitor.statuses import PROBLEM_STATUSES, SKIPPED
from scraper.items import Record


@dataclass
class SourceReport:
    name: str
    url: str
    status: str  # ok | baseline | failed | suspect
    items_seen: int
    error: str | None = None
    new: list[Record] = field(default_factory=list)
    updated: list[Record] = field(default_factory=list)
    run_id: str = ""
    crawl_id: int | None = None
    # The archived text each updated item had before this crawl, by item key.
    previous: dict[str, ItemText] = field(default_factory=dict)
    filtered: int = 0  # new or updated items archived but not told: the source's include/exclude
    restyled: int = 0  # items whose text changed all at once (monitor.diff.MASS_EDIT): archived, not told

    @property
    def has_news(self) -> bool:
        return bool(self.new or self.updated)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "url": self.url,
            "status": self.status,
            "items_seen": self.items_seen,
            "error": self.error,
            "new": [r.as_json() for r in self.new],
            "updated": [self.updated_json(r) for r in self.updated],
            "filtered": self.filtered,
            "restyled": self.restyled,
        }

    def updated_json(self, record: Record) -> dict:
        """An updated item's fields, with `previous`: its text before this crawl."""
        before = self.previous.get(record.key)
        return {**record.as_json(), "previous": before.as_json() if before else None}


INTERRUPTED_EXIT = 130  # as a shell reports a command ended by Ctrl-C (128 + SIGINT)


@dataclass
class RunReport:
    run_id: str
    started: str
    finished: str = ""
    sources: list[SourceReport] = field(default_factory=list)
    interrupted: bool = False  # stopped by SIGINT/SIGTERM before every source was crawled

    @property
    def exit_code(self) -> int:
        """0 when every source is ok or baseline, 1 when any failed, is suspect or was skipped,
        130 when the run was interrupted."""
        if self.interrupted:
            return INTERRUPTED_EXIT
        return 1 if any(s.status in (*PROBLEM_STATUSES, SKIPPED) for s in self.sources) else 0

    @property
    def worth_telling(self) -> bool:
        """Whether a quiet (cron) run should print anything."""
        return self.interrupted or any(s.has_news or s.status in (*PROBLEM_STATUSES, SKIPPED) for s in self.sources)

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "started": self.started,
            "finished": self.finished,
            "sources": [s.to_json() for s in self.sources],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


def summary_line(source: SourceReport, width: int = 0) -> str:
    """One source's outcome on one line (names padded to `width` to align a table)."""
    line = (f"{source.name:<{width}}  {source.status:<8}  {source.items_seen:>4} seen  {len(source.new):>3} new"
            f"  {len(source.updated):>3} updated")
    if source.filtered:
        line += f"  {source.filtered} filtered"
    if source.restyled:
        line += f"  {source.restyled} restyled (archived, not alerted)"
    if source.error:
        line += f"  - {source.error}"
    return line


def render_text(report: RunReport, *, color: bool = False) -> str:
    """A short summary line per source, then the new and updated headlines.

    An updated item's headline and summary show what changed, word by word:
    `[-removed-]{+added+}`, or with `color` (a terminal) in red and green.
    """
    lines = []
    width = max((len(s.name) for s in report.sources), default=0)
    for s in report.sources:
        lines.append(summary_line(s, width))
    for s in report.sources:
        for label, records in (("New", s.new), ("Updated", s.updated)):
            if not records:
                continue
            lines.append("")
            lines.append(f"{label} on {s.name}:")
            for record in records:
                before = s.previous.get(record.key) if records is s.updated else None
                if before is None:
                    lines.append(f"  * {printable(record.headline)}")
                    if record.url:
                        lines.append(f"    {printable(record.url)}")
                    continue
                headline, summary = render_plain_lines(edit(before.as_json(), record.as_json()), compact=True,
                                                       color=color)
                lines.append(f"  * {headline}")
                if record.url:
                    lines.append(f"    {printable(record.url)}")
                lines.extend(f"    {line}" for line in summary)
    return "\n".join(lines)
