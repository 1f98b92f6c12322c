"""`tidings history`'s renderings: an item's versions, each diffed against the one before.

Pure: an ItemHistory (monitor.archive.history) in, text or a JSON document
out.  The diffs are the same word diffs every other output of an edit shows
(monitor.changes).
"""

from __future__ import annotations

from datetime import timezone, tzinfo

from monitor import wordiff
from monitor.archive.history import ItemHistory, ItemVersion
from monitor.changes import PARAGRAPH, Edit, edit
from monitor.human_dates import human_date


def _edit(before: ItemVersion, after: ItemVersion) -> Edit:
    return edit({"headline": before.headline, "summary": before.summary},
                {"headline": after.headline, "summary": after.summary})


def history_json(history: ItemHistory) -> dict:
    """The item and its versions; from the second on, `diff` holds the headline's and
    summary's changes in `[-removed-]{+added+}` marks (null where a field did not change)."""
    versions = []
    for index, version in enumerate(history.versions):
        entry = {
            "version": version.version, "seen_at": version.seen_at, "crawl_id": version.crawl_id,
            "headline": version.headline, "summary": version.summary, "published": version.published,
            "diff": None,
        }
        if index:
            change = _edit(history.versions[index - 1], version)
            entry["diff"] = {
                "headline": wordiff.render_plain(change.headline) if change.headline_changed else None,
                "summary": wordiff.render_plain(change.summary) if change.summary_changed else None,
            }
        versions.append(entry)
    return {
        "item_id": history.item_id, "source": history.source, "url": history.url, "key": history.key,
        "first_seen": history.first_seen, "last_seen": history.last_seen, "versions": versions,
    }


def render_history(history: ItemHistory, zone: tzinfo = timezone.utc, *, color: bool = False) -> str:
    """The item, then each version: the first in full, every later one as the words
    removed and added since the one before (colours on a terminal, else marks)."""
    p = wordiff.printable
    count = len(history.versions)
    lines = [
        f"Item {history.item_id} of {p(history.source)}: {p(history.url or '(no link)')}",
        f"First seen {human_date(history.first_seen, zone)}, last seen {human_date(history.last_seen, zone)};"
        f" {count} version{'s' if count != 1 else ''}",
    ]
    render = wordiff.render_ansi if color else wordiff.render_plain
    for index, version in enumerate(history.versions):
        crawl = f", crawl {version.crawl_id}" if version.crawl_id is not None else ""
        lines.extend(["", f"Version {version.version}, seen {human_date(version.seen_at, zone)}{crawl}"])
        if index == 0:
            lines.append(f"  {p(version.headline)}")
            lines.extend(f"  {p(para)}" for para in _paragraphs(version.summary))
            continue
        change = _edit(history.versions[index - 1], version)
        lines.append(f"  {render(change.headline)}")
        if change.summary_changed:
            lines.extend(f"  {para}" for para in _paragraphs(render(change.summary)))
        else:
            lines.append("  (summary unchanged)")
    return "\n".join(lines)


def _paragraphs(text: str) -> list[str]:
    return [para for para in text.split(PARAGRAPH) if para.strip()]
