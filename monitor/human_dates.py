"""Dates in alerts as people write them: "7 Dec 2026, 09:00 CET".

The archive and the webhook payload keep ISO 8601 in UTC (machines sort
and parse those); a message a person reads shows the time in the
configured time zone ([defaults] timezone) with its usual abbreviation.
English month names, whatever the machine's locale, so a message reads the
same wherever it is sent from.  Pure.
"""

from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(value: str | None, zone: tzinfo = timezone.utc) -> str:
    """An archived date or date-time as "7 Dec 2026" or "7 Dec 2026, 09:00 CET".

    A bare date stays a date (no time zone can move it); a date-time
    without an offset is taken as UTC, like the archive.  Text that is no
    ISO date is returned as it is: better shown raw than dropped.
    """
    if not value:
        return ""
    text = value.strip()
    try:
        if len(text) == 10:
            return _day(date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(zone)
    return f"{_day(local.date())}, {local:%H:%M} {_zone_name(local)}"


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _zone_name(moment: datetime) -> str:
    """The zone's abbreviation (CET, EST, UTC); "UTC+03" where the zone has none ("+03")."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-":
        offset = moment.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        return "UTC" if minutes == 0 else f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")
    return name
