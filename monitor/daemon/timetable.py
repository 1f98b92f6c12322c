"""When each scheduled source is next due: its schedule's slot, plus jitter.

Pure time arithmetic over a heap, no I/O: the daemon's loop asks which
sources are due now and how long it may sleep.  A source's *slot* is the
time its schedule names (monitor.schedule, no jitter); it is *due* at the
slot plus a random jitter (up to 5% of the period, at most a minute), so
sources sharing a schedule spread out.  Slots follow one another without
drift (the next slot comes after the last slot, not after the jittered
time), and slots missed while the daemon was behind make one run.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from monitor.schedule import Schedule


@dataclass(frozen=True, slots=True)
class Tick:
    """One source falling due: its name and when it was due (after jitter)."""

    name: str
    due: datetime


@dataclass(slots=True)
class _Entry:
    schedule: Schedule
    jitter: float  # seconds, this schedule's largest jitter
    slot: datetime  # the next scheduled time, without jitter
    due: datetime  # slot + jitter
    version: int


class Timetable:
    """The next due time of every scheduled source."""

    def __init__(self, tz: tzinfo):
        self.tz = tz
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[float, int, str]] = []  # (due timestamp, version, name); stale rows skipped
        self._version = 0

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def names(self) -> list[str]:
        return list(self._entries)

    def set(self, name: str, schedule: Schedule, slot: datetime, due: datetime | None = None) -> datetime:
        """Schedule `name` at `slot` (due at `due`, else at slot + jitter); returns when it is due."""
        jitter = schedule.jitter_seconds(self.tz)
        if due is None:
            due = slot + timedelta(seconds=random.uniform(0, jitter))
        self._version += 1
        self._entries[name] = _Entry(schedule, jitter, slot, due, self._version)
        heapq.heappush(self._heap, (due.timestamp(), self._version, name))
        return due

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)  # its heap row goes stale

    def next_due(self) -> datetime | None:
        """When the earliest source falls due (None with nothing scheduled)."""
        while self._heap:
            _, version, name = self._heap[0]
            entry = self._entries.get(name)
            if entry is not None and entry.version == version:
                return entry.due
            heapq.heappop(self._heap)
        return None

    def pop_due(self, now: datetime) -> list[Tick]:
        """Every source due by `now`, earliest first; each moves on to its next slot."""
        ticks = []
        stamp = now.timestamp()
        while self._heap and self._heap[0][0] <= stamp:
            _, version, name = heapq.heappop(self._heap)
            entry = self._entries.get(name)
            if entry is None or entry.version != version:
                continue
            ticks.append(Tick(name, entry.due))
            slot = entry.schedule.next_after(entry.slot, self.tz)
            if slot <= now:  # behind by a whole period or more: the missed slots make this one run
                slot = entry.schedule.next_after(now, self.tz)
            self.set(name, entry.schedule, slot)
        return ticks
