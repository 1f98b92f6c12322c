"""Configuration errors: one clear line naming file, source and key; exit code 2."""

from __future__ import annotations

import pytest

from tests.helpers import tidings
from monitor.config import load_config
from monitor.errors import ConfigError

GOOD_SOURCE = '[[source]]\nname = "a"\nurl = "https://example.org/news"\nitem = "li"\nheadline = "h2"\n'


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[[source]\nname = "a"', "not valid TOML"),
        (GOOD_SOURCE + 'colour = "red"\n', "source 'a': unknown key 'colour'"),
        ('[[source]]\nurl = "https://e.org/"\n', "source '#1': key 'name' is required"),
        ('[[source]]\nname = "a"\n', "source 'a': key 'url' is required"),
        (GOOD_SOURCE.replace('"li"', '"div["'), "source 'a': key 'item': invalid CSS selector 'div['"),
        (GOOD_SOURCE.replace('"h2"', '"xpath://h2["'), "source 'a': key 'headline': invalid XPath"),
        (GOOD_SOURCE.replace("https://example.org/news", "file:///etc/passwd"), "only http and https"),
        (GOOD_SOURCE.replace("https://example.org/news", "ftp://example.org/"), "only http and https"),
        (GOOD_SOURCE + GOOD_SOURCE, "source 'a': key 'name': duplicate source name"),
        (GOOD_SOURCE.replace('name = "a"', 'name = "Bad Name"'), "may only use a-z"),
        (GOOD_SOURCE + "max_pages = 0\n", "key 'max_pages': must be a whole number of at least 1"),
        (GOOD_SOURCE + 'timeout = "soon"\n', "key 'timeout'"),
        ("[crawl]\nconcurency = 3\n" + GOOD_SOURCE, "[crawl]: unknown key 'concurency'"),
        ("[crawl]\nobey_robots = 1\n" + GOOD_SOURCE, "[crawl]: key 'obey_robots': must be true or false"),
        ('[defaults]\nbogus = 1\n' + GOOD_SOURCE, "[defaults]: unknown key 'bogus'"),
        ('[[source]]\nname = "a"\nurl = "https://e.org/"\nitem = "li"\n', "key 'headline' is required when 'item' is set"),
        ('surprise = 1\n' + GOOD_SOURCE, "unknown key 'surprise' at top level"),
    ],
)
def test_bad_config_is_one_clear_line_and_exit_2(tmp_path, text, expected):
    path = tmp_path / "tidings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    result = tidings("run", "--config", str(path), "--db", str(tmp_path / "a.db"))
    assert result.code == 2
    assert result.stderr.strip() == f"tidings: error: {info.value}"
    assert not (tmp_path / "a.db").exists()


def test_missing_config_file(tmp_path):
    result = tidings("run", "--config", str(tmp_path / "nope.toml"))
    assert result.code == 2
    assert "configuration file not found" in result.stderr and "Traceback" not in result.stderr


def test_defaults_apply_to_every_source(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[defaults]\ntimeout = 5\nmax_pages = 2\n" + GOOD_SOURCE + GOOD_SOURCE.replace('"a"', '"b"') + "timeout = 9\n")
    config = load_config(path)
    assert [(s.name, s.timeout, s.max_pages) for s in config.sources] == [("a", 5.0, 2), ("b", 9.0, 2)]


def test_the_shipped_config_is_valid():
    from tests.helpers import ROOT

    config = load_config(ROOT / "tidings.toml")
    assert {s.name for s in config.sources} == {"unece-environment", "unece-environment-press"}
    assert all(s.url.startswith("https://unece.org/media/") for s in config.sources)


def test_a_database_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(GOOD_SOURCE)
    db = tmp_path / "notes.db"
    db.write_bytes(b"my precious notes, not a database" * 100)
    result = tidings("run", "--config", str(path), "--db", str(db))
    assert result.code == 2
    assert "not a SQLite database" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == b"my precious notes, not a database" * 100
