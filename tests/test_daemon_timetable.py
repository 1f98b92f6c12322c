"""The daemon's pure parts: when sources fall due (timetable) and in which order they wait."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.daemon.batches import Waiting
from monitor.daemon.timetable import Timetable
from monitor.schedule import parse_schedule

UTC = timezone.utc
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_slots_follow_the_schedule_without_drift_and_jitter_stays_in_its_window():
    table = Timetable(UTC)
    every = parse_schedule("20m")  # jitter: up to 5% of 20 minutes = 60 s
    table.set("news", every, T0)
    dues = []
    now = T0
    for _ in range(50):
        now = table.next_due()
        [tick] = table.pop_due(now)
        dues.append(tick.due)
    for number, due in enumerate(dues):
        slot = T0 + number * timedelta(minutes=20)
        assert slot <= due <= slot + timedelta(seconds=60)  # the 50th run is still on the 50th slot


def test_slots_missed_while_behind_make_one_run():
    table = Timetable(UTC)
    table.set("news", parse_schedule("1m"), T0, due=T0)
    assert [t.name for t in table.pop_due(T0 + timedelta(minutes=10, seconds=30))] == ["news"]  # ten slots: one run
    assert table.pop_due(T0 + timedelta(minutes=10, seconds=30)) == []
    assert T0 + timedelta(minutes=11, seconds=30) <= table.next_due() <= T0 + timedelta(minutes=11, seconds=33)


def test_removed_and_rescheduled_sources_leave_no_stale_ticks():
    table = Timetable(UTC)
    table.set("a", parse_schedule("1h"), T0, due=T0)
    table.set("b", parse_schedule("1h"), T0, due=T0 + timedelta(seconds=5))
    table.remove("a")
    table.set("b", parse_schedule("1h"), T0, due=T0 + timedelta(seconds=9))  # rescheduled (a reload)
    assert table.pop_due(T0 + timedelta(seconds=6)) == []
    assert [t.name for t in table.pop_due(T0 + timedelta(seconds=9))] == ["b"]
    assert table.names() == ["b"]


def test_waiting_sources_leave_earliest_due_first_and_once():
    waiting = Waiting()
    for name, seconds in (("c", 3), ("a", 1), ("d", 4), ("b", 2)):
        waiting.add(name, T0 + timedelta(seconds=seconds))
    waiting.add("a", T0 + timedelta(seconds=9))  # already waiting: keeps its first due time
    waiting.remove("c")
    assert waiting.first() == T0 + timedelta(seconds=1)
    assert list(waiting.take(2)) == ["a", "b"]
    waiting.add("a", T0)  # due again after it was taken
    assert list(waiting.take(5)) == ["a", "d"]
    assert len(waiting) == 0 and waiting.first() is None
