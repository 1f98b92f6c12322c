"""One item's archived versions, for `tidings history`.

An item is named the way a user has it at hand: its id (`item_id` in
exports, search results and Datasette) or its link.  A link several
sources share (two listings of one site) needs the source named too.
Read-only; unknown or ambiguous names are UsageErrors (one line, exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.archive.connection import Connection
from monitor.archive.queries import read_rows as _read
from monitor.errors import UsageError


@dataclass(frozen=True, slots=True)
class ItemVersion:
    """One row of item_versions: the item's text as a crawl first saw it."""

    version: int  # 1 for the text the item was first seen with
    seen_at: str
    crawl_id: int | None
    headline: str
    summary: str
    published: str | None


@dataclass(frozen=True)
class ItemHistory:
    item_id: int
    source: str
    url: str | None
    key: str
    first_seen: str
    last_seen: str
    versions: list[ItemVersion]


_ITEM = ("SELECT i.id, s.name, i.url, i.key, i.first_seen, i.last_seen"
         " FROM items i JOIN sources s ON s.id = i.source_id")


def item_history(archive: Connection, ref: str, source: str | None = None) -> ItemHistory:
    """The item named by `ref` (an item id, or its URL) and every version of it, oldest first."""
    row = _find(archive, ref.strip(), source)
    item_id = row[0]
    versions = [
        ItemVersion(number, *rest)
        for number, rest in enumerate(_read(
            archive,
            "SELECT seen_at, crawl_id, headline, summary, published FROM item_versions WHERE item_id = ? ORDER BY id",
            (item_id,),
        ), 1)
    ]
    return ItemHistory(*row, versions=versions)


def _find(archive: Connection, ref: str, source: str | None) -> tuple:
    if not ref:
        raise UsageError("give an item id or URL")
    if source is not None and not _read(archive, "SELECT 1 FROM sources WHERE name = ?", (source,)):
        raise UsageError(f"{archive.path}: no source named {source!r} in the archive")
    where = " AND s.name = ?" if source is not None else ""
    extra = (source,) if source is not None else ()
    if ref.isdigit():
        rows = _read(archive, _ITEM + " WHERE i.id = ?" + where, (int(ref), *extra))
        if not rows:
            raise UsageError(f"{archive.path}: no archived item with id {ref}" + (f" in source {source!r}" if source else ""))
        return rows[0]
    rows = _read(archive, _ITEM + " WHERE i.url IN (?, ?)" + where + " ORDER BY s.name", (ref, _canonical(ref), *extra))
    if not rows:
        raise UsageError(f"{archive.path}: no archived item with URL {ref}" + (f" in source {source!r}" if source else "")
                         + " (give the item's link as archived, or its id)")
    if len(rows) > 1:
        names = ", ".join(r[1] for r in rows)
        raise UsageError(f"{ref} is an item of several sources ({names}): name one with --source NAME")
    return rows[0]


def _canonical(url: str) -> str:
    """The link as crawls archive it (scraper.urls.canonical_url), so a pasted spelling finds it."""
    from scraper.urls import canonical_url

    return canonical_url(url, url) or url
