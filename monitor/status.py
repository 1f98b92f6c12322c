"""`tidings status`: what each configured source's last run did and when it runs next.

Reads the archive (never writes it) and the config's schedules; the next run
time is computed the way the daemon computes it (monitor/schedule.py), so it
is right whether or not a daemon is running.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from monitor.archive import Archive
from monitor.archive.lags import last_lags
from monitor.archive.overview import SourceOverview, source_names, source_overview
from monitor.config import Config
from monitor.notify.base import Notifier
from monitor.statuses import PROBLEM_STATUSES
from monitor.schedule import parse_schedule
from scraper.items import to_timestamp
from scraper.text import one_line

NEW_WINDOW = timedelta(hours=24)


@dataclass
class SourceStatus:
    name: str
    url: str
    render: str  # "http" or "browser" (rendered in Chromium)
    schedule: str | None
    last_run: str | None  # when the last crawl started (UTC ISO 8601)
    last_finished: str | None
    last_status: str | None  # ok | baseline | failed | suspect
    last_error: str | None
    next_run: str | None  # UTC ISO 8601; null without a schedule
    due_now: bool  # the scheduled time has passed (missed, or never ran)
    schedule_lag: float | None  # seconds the daemon's latest run of it started after it was due; null if none
    items: int
    new_24h: int
    pending_deliveries: int
    dead_deliveries: int


@dataclass
class DeliveryStatus:
    """A pending or dead alert delivery, as `tidings status` lists it."""

    id: str
    notifier: str
    source: str | None
    kind: str  # items | broken | recovered
    state: str  # pending | dead
    attempts: int
    last_error: str | None
    next_attempt: str | None  # null when dead
    created: str


def source_statuses(config: Config, archive: Archive | None, now: datetime) -> list[SourceStatus]:
    """One status per configured source, in config order (never run, without an archive)."""
    overview = source_overview(archive, to_timestamp(now - NEW_WINDOW)) if archive else {}
    lags = last_lags(archive) if archive else {}
    tz = config.tzinfo
    statuses = []
    for source in config.sources:
        seen = overview.get(source.name, SourceOverview())
        next_run, due = None, False
        if source.schedule:
            last = datetime.fromisoformat(seen.last_started) if seen.last_started else None
            moment, due = parse_schedule(source.schedule).next_run(last, now, tz)
            next_run = to_timestamp(moment)
        statuses.append(SourceStatus(
            name=source.name, url=source.url, render=source.render, schedule=source.schedule,
            last_run=seen.last_started, last_finished=seen.last_finished, last_status=seen.last_status,
            last_error=seen.last_error, next_run=next_run, due_now=due,
            schedule_lag=lags[source.name].seconds if source.name in lags else None, items=seen.items,
            new_24h=seen.new_since, pending_deliveries=seen.pending_deliveries,
            dead_deliveries=seen.dead_deliveries,
        ))
    return statuses


def delivery_statuses(archive: Archive, limit: int = 100, config: Config | None = None) -> list[DeliveryStatus]:
    """The pending and dead alert deliveries, newest first.

    With `config`, each error is shown redacted of its notifier's secrets: a
    dead delivery keeps the error an older Tidings may have stored unredacted.
    """
    names = source_names(archive)
    redactors = {n.name: Notifier(n).redact for n in config.notify} if config else {}
    return [
        DeliveryStatus(d.id, d.notifier, names.get(d.source_id), d.kind, d.state, d.attempts,
                       redactors.get(d.notifier, one_line)(d.last_error) if d.last_error else d.last_error,
                       d.next_attempt if d.state == "pending" else None, d.created)
        for d in archive.outbox.recent(("pending", "dead"), limit)
    ]


def status_json(statuses: list[SourceStatus], now: datetime, config: Config,
                deliveries: list[DeliveryStatus] = ()) -> str:
    document = {"generated": to_timestamp(now), "timezone": config.timezone, "sources": [asdict(s) for s in statuses],
                "deliveries": [asdict(d) for d in deliveries]}
    return json.dumps(document, ensure_ascii=False, indent=2)


def render_status(statuses: list[SourceStatus], config: Config, deliveries: list[DeliveryStatus] = ()) -> str:
    """A table for people; times in the config's time zone.

    A `render` column says how each source is fetched when any renders in a browser.
    """
    tz = config.tzinfo
    rendering = any(s.render != "http" for s in statuses)
    header = ("source", *(("render",) if rendering else ()), "last run", "status", "next run", "lag", "items",
              "new 24h", "pending", "dead")
    rows = [header]
    for s in statuses:
        next_run = "-" if s.next_run is None else "due now" if s.due_now else _local(s.next_run, tz)
        lag = "-" if s.schedule_lag is None else f"{s.schedule_lag:.1f} s"
        rows.append((s.name, *((s.render,) if rendering else ()), _local(s.last_run, tz) if s.last_run else "never",
                     s.last_status or "-", next_run, lag,
                     str(s.items), str(s.new_24h), str(s.pending_deliveries), str(s.dead_deliveries)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    for s in statuses:
        if s.last_error and s.last_status in PROBLEM_STATUSES:
            lines.append(f"{s.name}: {one_line(s.last_error)}")  # rows stored before errors were cleaned
    if deliveries:
        lines.extend(["", "Undelivered alerts (pending: retried; dead: given up):"])
        for d in deliveries:
            when = f", next try {_local(d.next_attempt, tz)}" if d.next_attempt else ""
            error = f": {one_line(d.last_error)}" if d.last_error else ""
            lines.append(f"  {d.state:<7} {d.notifier} {d.kind} on {d.source or '-'} (id {d.id}, "
                         f"{d.attempts} attempt{'s' if d.attempts != 1 else ''}{when}){error}")
    return "\n".join(lines)


def _local(value: str, tz) -> str:
    return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
