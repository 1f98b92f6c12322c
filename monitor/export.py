"""`tidings export`: the archive's items (or their versions) as CSV, JSON or NDJSON.

Rows stream from the SQLite cursor to the output one at a time, so memory
stays flat whatever the archive's size; JSON is written as an array element
by element, never built as a list.  Adding a format = one writer function
and one entry in FORMATS.
"""

from __future__ import annotations

import csv
import json
from typing import Callable, Iterable, Iterator, TextIO

from monitor.archive import Archive
from monitor.archive.queries import ITEM_COLUMNS, VERSION_COLUMNS, Selection, item_rows, version_rows

Writer = Callable[[TextIO, tuple[str, ...], Iterable[tuple]], None]


def write_csv(out: TextIO, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """RFC 4180: header row, CRLF line ends, fields with commas, quotes or newlines quoted.

    `out` must be opened with newline="" so newlines inside summaries stay as they are.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)


def _json_dumps(columns: tuple[str, ...], row: tuple) -> str:
    return json.dumps(dict(zip(columns, row)), ensure_ascii=False)


def write_json(out: TextIO, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """One JSON array of objects, written element by element."""
    separator = "[\n"
    for row in rows:
        out.write(separator)
        out.write(_json_dumps(columns, row))
        separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def write_ndjson(out: TextIO, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """One JSON object per line (newlines inside text are escaped as \\n)."""
    for row in rows:
        out.write(_json_dumps(columns, row))
        out.write("\n")


# Cells a spreadsheet would read as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A CSV cell that cannot start a formula: text beginning with =, +, -, @, tab
    or CR gets a leading ' (which spreadsheets show as text, not run)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised(rows: Iterable[tuple]) -> Iterator[tuple]:
    """`neutralise` over every cell, inlined: a function call per cell cost a
    third more time on a 100,000-row export than this."""
    for row in rows:
        yield tuple("'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in row)


FORMATS: dict[str, Writer] = {"csv": write_csv, "json": write_json, "ndjson": write_ndjson}


def export(
    archive: Archive, out: TextIO, fmt: str, selection: Selection, *, versions: bool = False, bom: bool = False,
    raw_csv: bool = False,
) -> None:
    """Write the selected items (or, with `versions`, every version of them) to `out`.

    Scraped text is untrusted: CSV cells that would start a formula are
    neutralised unless `raw_csv`; JSON and NDJSON keep the text as it is.

    The selection is checked (source names, search syntax) before anything
    is written, so a usage error never leaves a partial document behind.
    """
    if versions:
        columns, rows = VERSION_COLUMNS, version_rows(archive, selection)
    else:
        columns, rows = ITEM_COLUMNS, item_rows(archive, selection)
    if bom:  # a UTF-8 byte-order mark, so older Excel reads the CSV as UTF-8
        out.write("\ufeff")
    if fmt == "csv" and not raw_csv:
        rows = neutralised(rows)
    FORMATS[fmt](out, columns, rows)
