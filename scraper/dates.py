"""Dates written in pages, read into ISO 8601.

Numeric, English, European-language, Russian, Chinese, Japanese and Korean dates
(era years included), a date inside other text ("Updated 12 Mar 2024 | 4 min
read"), and whether a date is an update rather than the publication date.
Pure and memoised: a listing is crawled again and again with the same dates.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime

from scraper.memo import string_memo
from scraper.text import normalise_space

# dateutil's UnknownTimezoneWarning: a zone name it does not know ("10:30 JST") leaves the time naive, as
# this module wants for every zone name (see _DATE_PART); dateutil would also
# print a warning on stderr for each, in the middle of `tidings run`'s output.
# (Matched by its text: dateutil is imported only when a date needs it.)
warnings.filterwarnings("ignore", message=r"tzname .* identified but not understood")

_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}")
_HAS_DIGIT = re.compile(r"\d")
_YEAR_FIRST = re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b")


MAX_DATE_TEXT = 80  # characters: a longer text (after whitespace is collapsed) is no date


def parse_date(text: str | None) -> str | None:
    """ISO 8601 form of a date or date-time written in a page, else None.

    Only the date is kept when the text gives no time of day, so a listing
    that shows "15 November 2021" does not gain a made-up midnight.
    """
    return _parse_date(str(text)) if text else None  # str(): a smart string would keep its page alive


@string_memo(4096)
def _parse_date(text: str) -> str | None:
    # Cached: a listing is crawled again and again with mostly the same dates,
    # and detection reads a sample's dates several times.
    text = normalise_space(text)
    if not text or not _HAS_DIGIT.search(text) or len(text) > MAX_DATE_TEXT:
        return None
    if _WEEK_ONLY.fullmatch(text):  # "2024-W11" names a week, not the day something was published
        return None
    text = _FOREIGN_DATE.sub(_in_english, _CJK_DATE.sub(_cjk_in_english, text))
    text = _FOREIGN_MONTH_FIRST.sub(_month_first_in_english, text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        has_time = "T" in text or _TIME_OF_DAY.search(text) is not None
    except ValueError:
        part, parsed = _date_part(text) or (None, _parse_loose(text))
        if parsed is None:
            return None
        has_time = _TIME_OF_DAY.search(part or text) is not None
    if not 1900 <= parsed.year <= 2200:
        return None
    if has_time:
        return parsed.isoformat()
    return parsed.date().isoformat()


# A date inside other text ("Updated 12 Mar 2024 | 4 min read", "3 comments ·
# Nov 5, 2024"): parsed on its own first, since a fuzzy parse of the whole
# text would take the other numbers for the day or the year.
_MONTH_NAME = r"[A-Za-z]{3,9}\.?"
_DATE_PART = re.compile(
    r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAME},?\s+\d{{4}}"
    rf"|{_MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    r"(?:\s*[,|@\u2013\u2014-]?\s*(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?"
    # ...and its zone, when it is one a reader cannot mistake: UTC/GMT/Z or a
    # numeric offset ("14:05 GMT", "2:05 PM +0100", "14:05 UTC+2").  Zone names
    # such as EST or CET are ambiguous across countries and stay out (the time
    # is kept naive), as do offsets no zone has (beyond 14 hours: "+2500 views"),
    # and UTC followed by such an offset is not UTC.
    r"(?:\s*(?:UTC|GMT)\s*[+-](?:1[0-4]|0?\d)(?::?[0-5]\d)?\b|\s+[+-](?:1[0-4]|0\d):?[0-5]\d\b"
    r"|\s*(?:UTC|GMT|Z)\b(?!\s*[+-]\d))?)?",
    re.I,
)


_ZONE_BEFORE_OFFSET = re.compile(r"(?:UTC|GMT)\s*(?=[+-]\d)", re.I)


_WEEK_ONLY = re.compile(r"\d{4}-?W\d{2}", re.I)
# A label that says the date after it is not the publication date.
_UPDATE_LABEL = re.compile(
    r"\b(?:updated|modified|revised|edited|aktualisiert|mis\s+à\s+jour|actualizado|aggiornato)\b[^\d]{0,12}$", re.I
)


def is_update_date(text: str) -> bool:
    """Whether `text` gives an update date ("Updated: 14 March 2024"), not a publication date."""
    return _is_update_date(str(text)) if text else False  # str(): a smart string would keep its page alive


@string_memo(8192)
def _is_update_date(text: str) -> bool:
    # Cached as _parse_date is: extraction asks it of every date selector result
    # when a block has several, and the same rows come back on every crawl.
    match = _DATE_PART.search(text)
    return bool(match) and _UPDATE_LABEL.search(text[: match.start()]) is not None


def _date_part(text: str) -> tuple[str, datetime] | None:
    """The first date written inside `text` that parses (in a form dateutil
    reads unambiguously: a year-first date is never read day first), and its
    value; a date labelled as an update ("Updated: 14 March 2024 | Published:
    12 March 2024") only when no other is given."""
    fallback = None
    for part, parsed, update in _date_parts(text):
        if not update:
            return part, parsed
        fallback = fallback or (part, parsed)
    return fallback


def _date_parts(text: str):
    """Each date written in `text` that parses, its value, and whether it is labelled an update."""
    start = 0
    for match in _DATE_PART.finditer(text):
        update = _UPDATE_LABEL.search(text[start : match.start()]) is not None
        start = match.end()
        part = match.group(0)
        year_first = re.match(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", part)
        if year_first:
            year, month, day = (int(n) for n in year_first.groups())
            if not 1 <= month <= 12:
                continue
            part = f"{day} {_MONTHS[month - 1]} {year}{part[year_first.end():]}"
        # "UTC+2" is two hours ahead to a reader; dateutil reads it the POSIX way (behind).
        part = _ZONE_BEFORE_OFFSET.sub("", part)
        parsed = _parse_loose(part)
        if parsed is not None:
            yield part, parsed, update


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Month names of the languages press releases of European and UN bodies come
# in (German, French, Spanish, Italian, Dutch, Portuguese), full and short,
# in the order day, month, year these languages write them: "12. März 2024",
# "1er février 2024", "3 de abril de 2024".  Rewritten in English before parsing.
_FOREIGN_MONTHS = (
    "januar janvier janv enero gennaio januari janeiro jänner",
    "februar février fevrier févr fevr febrero febbraio februari fevereiro",
    "märz maerz mrz mär mars marzo maart março marco",
    "april avril avr abril aprile",
    "mai mayo maggio mei maio",
    "juni juin junio giugno junho",
    "juli juillet juil julio luglio julho",
    "august août aout agosto augustus",
    "september septembre septiembre setiembre settembre setembro",
    "oktober octobre octubre ottobre outubro okt",
    "november novembre noviembre novembro",
    "dezember décembre decembre déc dec diciembre dicembre december dezembro dez",
)
# Russian, in the genitive a date takes ("03 февраля 2016"), full and short.
_RUSSIAN_MONTHS = ("января янв", "февраля фев февр", "марта мар", "апреля апр", "мая", "июня июн",
                   "июля июл", "августа авг", "сентября сен сент", "октября окт", "ноября ноя нояб", "декабря дек")
_FOREIGN_MONTHS = tuple(f"{names} {russian}" for names, russian in zip(_FOREIGN_MONTHS, _RUSSIAN_MONTHS))
_FOREIGN_MONTH = {name: _MONTHS[i] for i, names in enumerate(_FOREIGN_MONTHS) for name in names.split()}
_FOREIGN_DATE = re.compile(
    r"\b(\d{1,2})(?:\.|er|º|°)?\s+(?:de\s+)?(" + "|".join(sorted(_FOREIGN_MONTH, key=len, reverse=True)) + r")\.?,?"
    r"\s+(?:de\s+|del\s+)?(\d{4})\b",
    re.I,
)


# Chinese, Japanese and Korean dates: "2024年3月12日", "2024년 3월 12일", and
# years counted in an era, as Japanese and Taiwanese government sites write
# them: "令和6年3月12日" (Reiwa 6, 2024), "平成31年4月30日", "令和元年" (its first
# year), "民國113年3月12日" (Republic of China 113, 2024).
_CJK_DATE = re.compile(r"(令和|平成|昭和|民國|民国)?\s*(?<!\d)(\d{1,4}|元)\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
_ERA_YEAR_ZERO = {"令和": 2018, "平成": 1988, "昭和": 1925, "民國": 1911, "民国": 1911}


def _cjk_in_english(match: re.Match) -> str:
    """The date in English; a year the text does not give in full (an era this
    does not know, "6年3月12日") is no date, rather than a fuzzy parse's guess
    (it read "令和6年3月12日" as 6 March 2012)."""
    era, year, month, day = match.groups()
    if era:
        year = _ERA_YEAR_ZERO[era] + (1 if year == "元" else int(year))
    elif len(year) == 4:
        year = int(year)
    else:
        return " "
    month = int(month)
    return f"{int(day)} {_MONTHS[month - 1]} {year} " if 1 <= month <= 12 else " "


# The same month names written first, as some Italian and Spanish blogs do: "aprile 25, 2016".
_FOREIGN_MONTH_FIRST = re.compile(
    r"\b(" + "|".join(sorted(_FOREIGN_MONTH, key=len, reverse=True)) + r")\.?\s+(\d{1,2}),?\s+(\d{4})\b",
    re.I,
)


def _month_first_in_english(match: re.Match) -> str:
    return f"{match.group(2)} {_FOREIGN_MONTH[match.group(1).lower()]} {match.group(3)}"


def _in_english(match: re.Match) -> str:
    """A European-language date ("12. März 2024") with the English month name dateutil reads."""
    return f"{match.group(1)} {_FOREIGN_MONTH[match.group(2).lower()]} {match.group(3)}"


def _parse_loose(text: str) -> datetime | None:
    from dateutil import parser as dateparser

    # Two different defaults: a field the text does not give comes out
    # different, so a bare "12" or "Page 3" is not mistaken for a date.
    # "Posted 2024-03-07 by ..." is year-month-day; only other numeric dates are day first.
    dayfirst = _YEAR_FIRST.search(text) is None
    try:
        first = dateparser.parse(text, default=datetime(2000, 1, 1), fuzzy=True, dayfirst=dayfirst, yearfirst=not dayfirst)
        second = dateparser.parse(text, default=datetime(2001, 2, 2), fuzzy=True, dayfirst=dayfirst, yearfirst=not dayfirst)
    except (ValueError, OverflowError, TypeError):
        return None
    if first.year != second.year or first.month != second.month:
        return None
    if first.day != second.day:
        return None
    try:
        first.utcoffset()  # an offset of a day or more is no zone ("+2500"): not a date
    except ValueError:
        return None
    return first

