"""Schedules: "45s", "30m", "6h", "1d" (monitor.durations) or a five-field cron expression.

Pure parsing and time arithmetic, shared by the config validator, the
daemon (monitor/daemon/) and `tidings status`.  Cron expressions mean what
classic cron means, which APScheduler 3.x does not quite do on its own:

- day-of-week numbers are cron's (0 and 7 are Sunday, 1 is Monday), while
  APScheduler 3.x counts from Monday = 0; we translate to day names;
- when both day-of-month and day-of-week are restricted, a day matching
  either runs (cron's rule; APScheduler alone would require both).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.durations import MAX_SECONDS, read_duration

_CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_CRON_LABELS = {"minute": "minute", "hour": "hour", "day": "day-of-month", "month": "month",
                "day_of_week": "day-of-week"}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 = Sunday; names for APScheduler

JITTER_FRACTION = 0.05  # each run starts up to 5% of its period late ...
JITTER_MAX_SECONDS = 60.0  # ... but never more than a minute

EXAMPLES = "an interval like 45s, 30m, 6h, 1d or a five-field cron expression like '0 7 * * 1-5'"


_WEEKDAY_WORDS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
                  "sat": "Saturday", "sun": "Sunday"}


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule.  Exactly one of `every` and `cron` is set."""

    text: str
    every: timedelta | None = None
    cron: tuple[str, str, str, str, str] | None = None  # day-of-week already in day names

    @property
    def description(self) -> str:
        """The schedule for a log line: "every 30m", "every hour at :00",
        "every day at 07:30", "every Monday at 09:00", else the cron expression itself."""
        if self.every is not None:
            return f"every {self.text}"
        minute, hour, day, month, weekday = self.cron
        if not minute.isdigit() or day != "*" or month != "*":
            return f"cron {self.text!r}"
        if hour == "*" and weekday == "*":
            return f"every hour at :{int(minute):02d}"
        if hour.isdigit() and (weekday == "*" or weekday in _WEEKDAY_WORDS):
            days = "day" if weekday == "*" else _WEEKDAY_WORDS[weekday]
            return f"every {days} at {int(hour):02d}:{int(minute):02d}"
        return f"cron {self.text!r}"

    def trigger(self, tz: tzinfo, *, jitter: bool = True) -> BaseTrigger:
        """An APScheduler trigger for this schedule (jitter spreads load)."""
        spread = self.jitter_seconds(tz) if jitter else None
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone=tz, jitter=spread)
        minute, hour, day, month, weekday = self.cron
        if day != "*" and weekday != "*":
            # Classic cron: a day matching either field runs.
            return OrTrigger(
                [CronTrigger(minute=minute, hour=hour, day=day, month=month, timezone=tz),
                 CronTrigger(minute=minute, hour=hour, month=month, day_of_week=weekday, timezone=tz)],
                jitter=spread,
            )
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday,
                           timezone=tz, jitter=spread)

    def next_after(self, moment: datetime, tz: tzinfo) -> datetime:
        """The first scheduled time strictly after `moment` (no jitter)."""
        if self.every is not None:
            return moment + self.every
        fire = self.trigger(tz, jitter=False).get_next_fire_time(None, moment + timedelta(microseconds=1))
        if fire is None:  # e.g. "0 0 31 2 *": February never has a 31st
            raise ValueError(f"{self.text!r} never fires")
        return fire

    def jitter_seconds(self, tz: tzinfo) -> float:
        period = self.every
        if period is None:
            first = self.next_after(datetime.now(timezone.utc), tz)
            period = self.next_after(first, tz) - first
        return min(period.total_seconds() * JITTER_FRACTION, JITTER_MAX_SECONDS)

    def next_run(self, last_run: datetime | None, now: datetime, tz: tzinfo) -> tuple[datetime, bool]:
        """When the source should next be crawled, and whether that is now.

        A source that never ran, or whose next slot after its last run has
        passed (the daemon was down), is due now: however many runs were
        missed, they make one run.
        """
        if last_run is None:
            return now, True
        slot = self.next_after(last_run, tz)
        if slot <= now:
            return now, True
        return slot, False


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule; ValueError says what is wrong with the value."""
    if not isinstance(text, str):
        raise ValueError(f"must be a string ({EXAMPLES}), not {type(text).__name__}")
    interval = read_duration(text)
    if interval is not None and interval.whole and interval.unit:  # "30m"; not "1.5h" or a bare "30"
        seconds = interval.seconds
        if seconds < 1:
            raise ValueError(f"{text!r}: an interval must be at least 1s")
        if seconds > MAX_SECONDS:
            raise ValueError(f"{text!r}: an interval must be at most {MAX_SECONDS // 86400}d")
        return Schedule(text, every=timedelta(seconds=seconds))
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"{text!r} is not {EXAMPLES}")
    try:
        weekday = _cron_weekdays(fields[4])
    except ValueError as exc:
        raise ValueError(f"{text!r}: day-of-week field {fields[4]!r}: {exc}") from None
    cron = (*fields[:4], weekday)
    for name, value in zip(_CRON_FIELDS, cron):
        try:
            CronTrigger(**{name: value}, timezone=timezone.utc)
        except ValueError as exc:
            raise ValueError(f"{text!r}: {_CRON_LABELS[name]} field {value!r}: {exc}") from None
    schedule = Schedule(text, cron=cron)
    schedule.next_after(datetime(2000, 1, 1, tzinfo=timezone.utc), timezone.utc)  # raises if it never fires
    return schedule


def parse_timezone(name: str) -> tzinfo:
    """An IANA time zone ("Europe/Berlin", "UTC"); ValueError if unknown."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"must be a time zone name like 'UTC' or 'Europe/Berlin', not {name!r}")
    if name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known time zone (use an IANA name like 'Europe/Berlin')") from None


def _cron_weekdays(field: str) -> str:
    """Cron's day-of-week field as APScheduler day names ("1-5" -> "mon,tue,wed,thu,fri")."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step {step_text!r}")
            step = int(step_text)
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            a, b = span.split("-", 1)
            first, last = _cron_day(a), _cron_day(b)
            if last < first:
                raise ValueError(f"range {span!r} runs backwards")
        else:
            first = _cron_day(span)
            last = 6 if step_text else first
        days.update(d % 7 for d in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DAY_NAMES[d] for d in sorted(days, key=lambda d: (d + 6) % 7))


def _cron_day(text: str) -> int:
    text = text.strip().lower()
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text[:3] in _DAY_NAMES and len(text) == 3:
        return _DAY_NAMES.index(text)
    raise ValueError(f"{text!r} is not a day (0-7 with 0 and 7 = Sunday, or sun, mon, ..., sat)")


START_SPREAD_MAX_SECONDS = 10.0


def random_delay(schedule: Schedule, tz: tzinfo) -> timedelta:
    """A small random delay (at most 10 s) for a run that is due now, so
    sources due together at start do not all start at once."""
    return timedelta(seconds=random.uniform(0, min(schedule.jitter_seconds(tz), START_SPREAD_MAX_SECONDS)))
