"""`tidings search`: full-text search from the terminal."""

from __future__ import annotations

import pytest

from tests.archives import A3, W3, W4, build_sample
from tests.helpers import tidings


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "tidings.db"
    build_sample(path)
    return path


def test_results_show_date_source_and_link(db):
    result = tidings("search", "drought OR flood", "--db", str(db))
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    # published when known, else the day it was first seen
    assert lines == [
        f"2026-01-08  water  {W3[0]}", f"{'':10}  {'':5}  {W3[2]}",
        f"2026-01-12  water  {W4[0]}", f"{'':10}  {'':5}  {W4[2]}",
    ] or lines == [
        f"2026-01-12  water  {W4[0]}", f"{'':10}  {'':5}  {W4[2]}",
        f"2026-01-08  water  {W3[0]}", f"{'':10}  {'':5}  {W3[2]}",
    ]


def test_columns_line_up_across_sources(db):
    """Rough edge: a shorter source name shifted its headlines left of the others."""
    lines = tidings("search", "water OR wasser OR air", "--db", str(db)).stdout.splitlines()
    sources = {line.split()[1] for line in lines[::2]}
    assert {"water", "air"} <= sources
    headline_columns = {len(line) - len(line.split("  ", 2)[2].lstrip()) for line in lines[::2]}
    link_columns = {len(line) - len(line.lstrip()) for line in lines[1::2]}
    assert len(headline_columns) == 1 and link_columns == headline_columns


def test_json_source_and_limit(db):
    result = tidings("search", "water OR wasser", "--db", str(db), "--json")
    assert result.code == 0, result.stderr
    assert sorted(r["item_id"] for r in result.json) == [1, 7]
    assert set(result.json[0]) == {"item_id", "source", "headline", "summary", "url", "published",
                                   "first_seen", "last_seen", "versions"}
    only_air = tidings("search", "water OR wasser", "--db", str(db), "--json", "--source", "air").json
    assert [(r["source"], r["headline"], r["url"]) for r in only_air] == [("air", A3[0], A3[2])]
    assert len(tidings("search", "water OR wasser", "--db", str(db), "--json", "--limit", "1").json) == 1
    # Prefix queries and phrases use the FTS index too.
    assert [r["item_id"] for r in tidings("search", "drou*", "--db", str(db), "--json").json] == [3]
    assert [r["item_id"] for r in tidings("search", '"air act"', "--db", str(db), "--json").json] == [7]


def test_no_match_and_malformed_queries(db):
    none = tidings("search", "zebra", "--db", str(db))
    assert none.code == 0 and none.stdout == "" and "no items match 'zebra'" in none.stderr
    for query in ("water-", "AND", '"open', "nocolumn:water"):
        bad = tidings("search", query, "--db", str(db))
        assert bad.code == 2, (query, bad.stderr)
        assert bad.stderr.startswith("tidings: error: search query ") and len(bad.stderr.strip().splitlines()) == 1
        assert "Traceback" not in bad.stderr
