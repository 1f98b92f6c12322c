"""`tidings export`: every format round-trips the archive exactly; filters; errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.archives import A3, DAY1, DAY2, DAY3, MARKUP, W1, W1_EDITED, W4, build_sample
from tests.helpers import tidings

ITEM_FIELDS = ["item_id", "source", "headline", "summary", "url", "published", "first_seen", "last_seen", "versions"]
VERSION_FIELDS = ["item_id", "version", "source", "url", "seen_at", "headline", "summary", "published"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "tidings.db"
    return path, build_sample(path)


def parse(fmt: str, text: str) -> list[dict]:
    """Read an export back with the standard library only."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    if fmt == "json":
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines()]


def as_csv(rows: list[dict]) -> list[dict]:
    """What the csv module gives back: every value a string, None as ''."""
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]


def export(db, *args: str):
    result = tidings("export", "--db", str(db), *args)
    assert result.code == 0, result.stderr
    return result


def export_file(db, folder, *args: str, name: str = "out") -> str:
    """Export to a file and read its exact text (stdout through the test harness loses \r)."""
    out = folder / name
    export(db, *args, "-o", str(out))
    return out.read_bytes().decode("utf-8")


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_each_format_round_trips_the_exact_items(sample, tmp_path, fmt):
    db, expected = sample
    out = tmp_path / f"items.{fmt}"
    export(db, "--format", fmt, "-o", str(out))
    text = out.read_bytes().decode("utf-8")
    rows = parse(fmt, text)
    want = expected.rows()
    assert rows == (as_csv(want) if fmt == "csv" else want)
    assert list(rows[0]) == ITEM_FIELDS
    # Non-ASCII, quotes, markup and newlines come back untouched.
    assert rows[0]["headline"] == W1_EDITED[0] and rows[0]["summary"] == W1[1]
    assert any(r["headline"] == MARKUP for r in rows)
    assert any(r["summary"] == W4[1] for r in rows)  # \r\n inside a summary survives
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_versions_round_trip_every_version(sample, tmp_path, fmt):
    db, expected = sample
    rows = parse(fmt, export_file(db, tmp_path, "--versions", "--format", fmt))
    want = expected.version_rows()
    assert rows == (as_csv(want) if fmt == "csv" else want)
    assert list(rows[0]) == VERSION_FIELDS
    edited = [r for r in rows if str(r["item_id"]) == "1"]
    assert [r["headline"] for r in edited] == [W1[0], W1_EDITED[0]]
    assert [str(r["version"]) for r in edited] == ["1", "2"]
    assert [r["seen_at"] for r in edited] == [DAY1, DAY2]


def test_csv_to_stdout_is_spreadsheet_ready(sample, tmp_path):
    db, expected = sample
    raw = export(db).stdout  # default format csv, default output stdout
    assert raw.startswith("item_id,source,headline,")
    assert '"Line one\nline two, ""quoted""\n\nSecond paragraph ✓"' in raw
    bom = export_file(db, tmp_path, "--bom")
    assert bom.startswith("\ufeffitem_id,") and parse("csv", bom[1:]) == as_csv(expected.rows())


def test_format_follows_output_extension(sample, tmp_path):
    db, expected = sample
    out = tmp_path / "items.ndjson"
    export(db, "-o", str(out))
    assert parse("ndjson", out.read_text(encoding="utf-8")) == expected.rows()


def ids(fmt: str, text: str) -> list[int]:
    return [int(r["item_id"]) for r in parse(fmt, text)]


def test_filters(sample):
    db, expected = sample
    water = [i["item_id"] for i in expected.rows(source="water")]
    assert ids("json", export(db, "--format", "json", "--source", "water").stdout) == water == [1, 2, 3, 6]
    both = export(db, "--format", "json", "--source", "water", "--source", "air").stdout
    assert ids("json", both) == [1, 2, 3, 4, 5, 6, 7]
    # Dates filter on first_seen: a bare --until date includes its whole day.
    assert ids("ndjson", export(db, "--format", "ndjson", "--until", "2026-01-10").stdout) == [1, 2, 3, 4, 5]
    assert ids("ndjson", export(db, "--format", "ndjson", "--since", "2026-01-11").stdout) == [6, 7]
    assert ids("ndjson", export(db, "--format", "ndjson", "--since", "2026-01-11", "--until", "2026-01-14").stdout) == [6]
    # Date-times are inclusive, with or without an offset (UTC when none).
    assert ids("ndjson", export(db, "--format", "ndjson", "--since", DAY2).stdout) == [6, 7]
    assert ids("ndjson", export(db, "--format", "ndjson", "--since", "2026-01-12T10:30+01:00").stdout) == [6, 7]
    assert ids("ndjson", export(db, "--format", "ndjson", "--since", "2026-01-12 09:30:01").stdout) == [7]
    assert ids("ndjson", export(db, "--format", "ndjson", "--until", "2026-01-10T08:00:00Z").stdout) == [1, 2, 3]
    # --search uses the full-text index (FTS5 syntax), alone or with other filters.
    assert ids("ndjson", export(db, "--format", "ndjson", "--search", "water").stdout) == [7]
    assert ids("ndjson", export(db, "--format", "ndjson", "--search", "drought OR flood").stdout) == [3, 6]
    assert ids("ndjson", export(db, "--format", "ndjson", "--search", "wasser").stdout) == [1]
    assert ids("ndjson", export(db, "--format", "ndjson", "--search", "quality", "--source", "water").stdout) == []
    assert export(db, "--format", "json", "--search", "nothingmatches").stdout == "[]\n"
    versions = parse("csv", export(db, "--versions", "--source", "air", "--since", DAY3).stdout)
    assert [(r["item_id"], r["headline"]) for r in versions] == [("7", A3[0])]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--since", "2026-02-30"], "--since '2026-02-30': not a date"),
        (["--until", "yesterday"], "--until 'yesterday': not a date"),
        (["--search", "water-"], "search query 'water-': not a valid full-text query"),
        (["--search", '"unterminated'], "not a valid full-text query"),
        (["--source", "nope"], "no source named 'nope' in the archive (archived: air, water)"),
        (["--format", "json", "--bom"], "--bom applies to --format csv only"),
    ],
)
def test_bad_values_are_one_line_usage_errors(sample, tmp_path, args, needle):
    db, _ = sample
    out = tmp_path / "keep.csv"
    out.write_text("previous export\n", encoding="utf-8")
    result = tidings("export", "--db", str(db), *args, "-o", str(out))
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tidings: error: ") and needle in lines[0], result.stderr
    assert out.read_text(encoding="utf-8") == "previous export\n"  # never a half file
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]


def test_missing_or_foreign_archive(tmp_path):
    result = tidings("export", "--db", str(tmp_path / "none.db"))
    assert result.code == 2 and "archive not found" in result.stderr and "Traceback" not in result.stderr
    other = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    result = tidings("export", "--db", str(other), "--format", "json")
    assert result.code == 2 and "not a Tidings archive" in result.stderr and result.stdout == ""


def test_unwritable_output_is_one_line(sample, tmp_path):
    db, _ = sample
    result = tidings("export", "--db", str(db), "-o", str(tmp_path / "no" / "such" / "dir.csv"))
    assert result.code == 2
    assert result.stderr.startswith("tidings: error: ") and "cannot write" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
