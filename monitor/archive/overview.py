"""Reads for operators: each source's latest crawl and alert backlog.

What `tidings status` shows and what the daemon asks before it schedules.
Read-only, and safe on an archive opened read-only that an older Tidings
wrote (a missing deliveries table counts as no deliveries).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.archive.connection import Connection
from monitor.archive.outbox import DEAD, PENDING


@dataclass(slots=True)
class SourceOverview:
    """A source's state as `tidings status` and the daemon see it."""

    last_started: str | None = None
    last_finished: str | None = None
    last_status: str | None = None
    last_error: str | None = None
    items: int = 0
    new_since: int = 0
    pending_deliveries: int = 0
    dead_deliveries: int = 0


def source_names(db: Connection) -> dict[int, str]:
    """Every archived source's name, by id."""
    return dict(db.conn.execute("SELECT id, name FROM sources"))


def last_starts(db: Connection) -> dict[str, str]:
    """When each archived source's latest crawl started, by name (the daemon's
    only question of the archive: no item or delivery counts)."""
    return dict(db.conn.execute(
        "SELECT sources.name, c.started FROM sources"
        " JOIN crawls c ON c.id = (SELECT max(id) FROM crawls WHERE source_id = sources.id)"
    ))


def last_start(db: Connection, name: str) -> str | None:
    """When the named source's latest crawl started (None if never crawled)."""
    row = db.conn.execute(
        "SELECT max(c.started) FROM crawls c JOIN sources ON sources.id = c.source_id WHERE sources.name = ?", (name,)
    ).fetchone()
    return row[0] if row else None


def source_overview(db: Connection, since: str) -> dict[str, SourceOverview]:
    """Per archived source: its latest crawl, items, new since `since`
    (an ISO time as stored), and its pending and dead alert deliveries
    (0 while the archive has no deliveries table)."""
    conn = db.conn
    overview = {
        name: SourceOverview(started, finished, status, error)
        for name, started, finished, status, error in conn.execute(
            "SELECT sources.name, c.started, c.finished, c.status, c.error FROM sources"
            " LEFT JOIN crawls c ON c.id = (SELECT max(id) FROM crawls WHERE source_id = sources.id)"
        )
    }
    names = source_names(db)
    for source_id, count in conn.execute("SELECT source_id, count(*) FROM items GROUP BY source_id"):
        overview[names[source_id]].items = count
    for source_id, new in conn.execute(
        "SELECT source_id, coalesce(sum(new), 0) FROM crawls WHERE started >= ? GROUP BY source_id", (since,)
    ):
        overview[names[source_id]].new_since = new
    if db.has_table("deliveries"):
        for source_id, pending, dead in conn.execute(
            "SELECT source_id, sum(state = ?), sum(state = ?) FROM deliveries"
            " WHERE source_id IS NOT NULL GROUP BY source_id",
            (PENDING, DEAD),
        ):
            if source_id in names:
                overview[names[source_id]].pending_deliveries = pending or 0
                overview[names[source_id]].dead_deliveries = dead or 0
    return overview
