"""`--limit` of `feed` and `search` is bounded: an absurd number is one line, exit code 2.

SQLite's integers end at 2**63 - 1; a larger `--limit` used to reach it and
end in a traceback.
"""

from __future__ import annotations

import pytest

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from tests.helpers import Site

    site = Site()
    try:
        folder = tmp_path_factory.mktemp("limits")
        site.pages["/news"] = Page(Listing().render())
        config = write_config(folder / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
        db = folder / "archive.db"
        assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
        return db
    finally:
        site.close()


@pytest.mark.parametrize("command", [("feed",), ("search", "water")])
@pytest.mark.parametrize("limit", ["99999999999999999999", "9223372036854775808", "1000001", "0", "-3"])
def test_an_out_of_range_limit_is_one_line(archive, command, limit):
    result = tidings(*command, "--db", str(archive), "--limit", limit)
    assert result.code == 2, (result.code, result.stderr)
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("tidings: error: ") and "--limit" in line, result.stderr
    assert "1000000" in line or "1,000,000" in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [("feed",), ("search", "water")])
def test_the_largest_limit_works(archive, command):
    result = tidings(*command, "--db", str(archive), "--limit", "1000000")
    assert result.code == 0, result.stderr
