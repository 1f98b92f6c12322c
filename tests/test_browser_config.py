"""The configuration of sources rendered in a browser: render, the page steps, [browser]."""

from __future__ import annotations

import pytest

from tests.helpers import tidings
from monitor.config import load_config
from monitor.errors import ConfigError
from scraper.browser_steps import BrowserSteps

SOURCE = '[[source]]\nname = "a"\nurl = "https://example.org/news"\n'
BROWSER = SOURCE + 'render = "browser"\n'


def config(tmp_path, text: str):
    path = tmp_path / "tidings.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize("text, expected", [
    (SOURCE + 'render = "chrome"\n', "source 'a': key 'render': 'chrome' is not one of 'http', 'browser'"),
    (SOURCE + "scroll = 3\n", "source 'a': key 'scroll' needs render = \"browser\""),
    (SOURCE + 'click = "#more"\n', "source 'a': key 'click' needs render = \"browser\""),
    (SOURCE + 'render = "http"\nbrowser_timeout = 5\n', "source 'a': key 'browser_timeout' needs render"),
    (BROWSER + 'wait_for = "div["\n', "source 'a': key 'wait_for': invalid CSS selector"),
    (BROWSER + 'click = "a::attr(href)"\n', "source 'a': key 'click': 'a::attr(href)' must select elements"),
    (BROWSER + "scroll = -1\n", "source 'a': key 'scroll': must be a whole number of at least 0"),
    (BROWSER + "click_times = 0\n", "source 'a': key 'click_times': must be a whole number of at least 1"),
    (BROWSER + "browser_timeout = 0\n", "source 'a': key 'browser_timeout': must be more than 0"),
    ("[browser]\npages = 0\n" + SOURCE, "[browser]: key 'pages': must be a whole number of at least 1, not 0"),
    ('[browser]\nexecutable = ""\n' + SOURCE, "[browser]: key 'executable': must be a path or command name"),
    ("[browser]\nblock_media = 1\n" + SOURCE, "[browser]: key 'block_media': must be true or false"),
    ("[browser]\nheadless = false\n" + SOURCE, "[browser]: unknown key 'headless' (known: block_media, executable, pages)"),
])
def test_bad_browser_keys_are_one_line_naming_the_key(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        config(tmp_path, text)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_a_bad_browser_key_stops_tidings_run_with_exit_2(tmp_path):
    path = tmp_path / "tidings.toml"
    path.write_text(SOURCE + "scroll = 3\n", encoding="utf-8")
    result = tidings("run", "--config", str(path), "--db", str(tmp_path / "a.db"))
    assert result.code == 2 and result.stderr.strip().startswith("tidings: error: ")
    assert not (tmp_path / "a.db").exists()


def test_render_and_steps_from_defaults_apply_to_browser_sources_only(tmp_path):
    text = ('[defaults]\nrender = "browser"\nbrowser_timeout = 12\nscroll = 2\n' + SOURCE
            + '\n[[source]]\nname = "b"\nurl = "https://example.org/b"\nrender = "http"\n'
            + '\n[[source]]\nname = "c"\nurl = "https://example.org/c"\nitem = "li.news"\nheadline = "h3"\n'
            + 'click = "#more"\nclick_times = 4\n')
    a, b, c = config(tmp_path, text).sources
    assert (a.render, b.render, c.render) == ("browser", "http", "browser")
    assert a.browser_steps == BrowserSteps(wait_for=None, scroll=2, click=None, click_times=1, timeout=12)
    assert b.browser_steps is None and (b.scroll, b.browser_timeout) == (0, None)
    # Without wait_for, a page waits for the item selector.
    assert c.browser_steps == BrowserSteps(wait_for="li.news", scroll=2, click="#more", click_times=4, timeout=12)


def test_the_budget_defaults_to_the_source_timeout_and_the_browser_table_to_two_pages(tmp_path):
    loaded = config(tmp_path, "[defaults]\ntimeout = 20\n" + BROWSER + 'wait_for = "xpath://article"\n')
    assert loaded.sources[0].browser_steps.timeout == 20 and loaded.sources[0].wait_for == "xpath://article"
    assert (loaded.browser.executable, loaded.browser.pages, loaded.browser.block_media) == (None, 2, True)
    table = config(tmp_path, '[browser]\nexecutable = "/opt/chrome/chrome"\npages = 4\nblock_media = false\n' + SOURCE)
    assert (table.browser.executable, table.browser.pages, table.browser.block_media) == ("/opt/chrome/chrome", 4, False)
