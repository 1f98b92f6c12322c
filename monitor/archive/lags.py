"""The daemon's schedule lag: how late each source's latest scheduled run started.

One row per source (`schedule_lag`), replaced at every scheduled run: when
the run was due (its schedule's time plus jitter), when its batch started,
and the difference in seconds.  Written by the daemon's batch children,
read by `tidings status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from monitor.archive.connection import Connection


@dataclass(frozen=True, slots=True)
class Lag:
    due: str  # UTC ISO 8601, as stored
    started: str
    seconds: float  # started - due
    url: str = ""  # the source's URL, for a source never crawled before


def record_lags(db: Connection, lags: Mapping[str, Lag]) -> None:
    """Store each named source's latest lag, in one transaction."""
    with db.transaction():
        db.conn.executemany("INSERT OR IGNORE INTO sources (name, url) VALUES (?, ?)",
                            [(name, lag.url) for name, lag in lags.items()])
        db.conn.executemany(
            "INSERT INTO schedule_lag (source_id, due, started, lag)"
            " SELECT id, ?, ?, ? FROM sources WHERE name = ?"
            " ON CONFLICT (source_id) DO UPDATE SET due = excluded.due, started = excluded.started,"
            " lag = excluded.lag",
            [(lag.due, lag.started, lag.seconds, name) for name, lag in lags.items()],
        )


def last_lags(db: Connection) -> dict[str, Lag]:
    """Every source's latest schedule lag, by name (empty before the table exists)."""
    if not db.has_table("schedule_lag"):
        return {}
    return {
        name: Lag(due, started, lag)
        for name, due, started, lag in db.conn.execute(
            "SELECT sources.name, l.due, l.started, l.lag FROM schedule_lag l JOIN sources ON sources.id = l.source_id"
        )
    }
