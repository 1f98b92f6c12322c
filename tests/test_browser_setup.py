"""Which browser a run launches, the settings of a crawl that renders in one, and the steps as data.

Pure parts of scraper.browser and scraper.browser_steps, no browser needed: these run everywhere.
"""

from __future__ import annotations

import os
import stat

import pytest
from scrapy.settings import Settings

from scraper.browser import HANDLER, BrowserNotFound, browser_settings, find_browser, is_media
from scraper.browser_steps import STEPS, BrowserSteps, PageSession, browser_meta, engine_selector


def _executable(path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def no_system_chromium(monkeypatch):
    monkeypatch.setattr("scraper.browser.SYSTEM_CHROMIUMS", ())


def test_the_configured_browser_comes_first(tmp_path):
    configured = _executable(tmp_path / "mine" / "chrome")
    env = {"TIDINGS_BROWSER": _executable(tmp_path / "env" / "chrome")}
    assert find_browser(configured, env) == configured


def test_the_environment_variable_comes_before_the_system_browser(tmp_path):
    from_env = _executable(tmp_path / "env" / "chrome")
    assert find_browser(None, {"TIDINGS_BROWSER": from_env}) == from_env


def test_a_named_browser_that_does_not_exist_is_an_error_not_replaced(tmp_path):
    with pytest.raises(BrowserNotFound) as caught:
        find_browser(str(tmp_path / "nowhere" / "chrome"), {})
    message = str(caught.value)
    assert "[browser] executable" in message and "nowhere" in message and "\n" not in message
    with pytest.raises(BrowserNotFound, match="TIDINGS_BROWSER"):
        find_browser(None, {"TIDINGS_BROWSER": "no-such-browser-here"})


def test_a_command_name_is_looked_up_on_the_path(tmp_path, monkeypatch):
    found = _executable(tmp_path / "bin" / "my-chromium")
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ.get("PATH", ""))
    assert find_browser("my-chromium", {}) == found


def test_the_system_chromium_is_used_when_none_is_named(tmp_path, monkeypatch):
    system = _executable(tmp_path / "usr" / "bin" / "chromium")
    monkeypatch.setattr("scraper.browser.SYSTEM_CHROMIUMS", (str(tmp_path / "absent"), system))
    assert find_browser(None, {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")}) == system


def test_playwrights_own_chromium_is_the_last_resort_newest_first(tmp_path, no_system_chromium):
    root = tmp_path / "pw"
    _executable(root / "chromium-1100" / "chrome-linux" / "chrome")
    newest = _executable(root / "chromium-1255" / "chrome-linux64" / "chrome")
    assert find_browser(None, {"PLAYWRIGHT_BROWSERS_PATH": str(root)}) == newest


def test_no_browser_at_all_says_how_to_install_one_in_one_line(tmp_path, no_system_chromium):
    with pytest.raises(BrowserNotFound) as caught:
        find_browser(None, {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "empty")})
    message = str(caught.value)
    assert "apt-get install chromium" in message and "playwright install chromium" in message
    assert "\n" not in message


def _run_settings(**browser) -> Settings:
    """The project's settings with a browser run's on top, as a run would set them."""
    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.setdict(browser_settings(**browser), priority="cmdline")
    return settings


def test_the_browser_handler_takes_http_and_https_and_the_closed_schemes_stay_closed():
    handlers = _run_settings(executable="/usr/bin/chromium", pages=2).getwithbase("DOWNLOAD_HANDLERS")
    assert handlers["http"] == handlers["https"] == HANDLER
    for scheme in ("file", "ftp", "s3", "data"):
        assert handlers.get(scheme) is None


def test_the_page_limit_and_executable_reach_playwright():
    settings = _run_settings(executable="/usr/bin/chromium", pages=3)
    assert settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") == 3
    assert settings.getint("PLAYWRIGHT_MAX_CONTEXTS") == 1
    assert settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")["executable_path"] == "/usr/bin/chromium"
    assert "executable_path" not in _run_settings(executable=None, pages=1).getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert settings["TWISTED_REACTOR"] == "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def test_at_least_one_page():
    with pytest.raises(ValueError, match="pages"):
        browser_settings("/usr/bin/chromium", pages=0)


class _Request:
    def __init__(self, resource_type: str):
        self.resource_type = resource_type


def test_images_fonts_and_media_are_blocked_unless_asked_for():
    assert _run_settings(executable=None, pages=1)["PLAYWRIGHT_ABORT_REQUEST"] == "scraper.browser.is_media"
    assert "PLAYWRIGHT_ABORT_REQUEST" not in browser_settings(None, 1, block_media=False)
    assert [t for t in ("document", "script", "xhr", "fetch", "stylesheet", "image", "font", "media")
            if is_media(_Request(t))] == ["image", "font", "media"]


def _kinds(steps: BrowserSteps) -> list[str]:
    methods = browser_meta(steps)["playwright_page_methods"]
    return [m.method.__name__ for m in methods]


@pytest.mark.parametrize("steps, kinds", [
    (BrowserSteps(), ["settle_step", "answer_step"]),
    (BrowserSteps(wait_for=".card"), ["settle_step", "wait_for_step", "answer_step"]),
    (BrowserSteps(click="#more", click_times=3, scroll=2, wait_for=".card"),
     ["settle_step", "click_step", "scroll_step", "wait_for_step", "answer_step"]),
    (BrowserSteps(click="#more", click_times=0), ["settle_step", "answer_step"]),
])
def test_steps_are_data_run_in_a_fixed_order(steps, kinds):
    assert _kinds(steps) == kinds


def test_every_step_of_a_page_shares_one_budget():
    meta = browser_meta(BrowserSteps(click="#more", scroll=1, timeout=7))
    session = meta["playwright_page_init_callback"].__self__
    assert isinstance(session, PageSession) and session.timeout == 7
    assert all(m.args[0] is session for m in meta["playwright_page_methods"])
    assert meta["playwright"] is True and meta["browser_timeout"] == 7
    assert [m.args[1:] for m in meta["playwright_page_methods"]] == [(), ("#more", 1), (1,), ()]


def test_the_registry_names_each_kind_once():
    names = [step.name for step in STEPS]
    assert len(names) == len(set(names))


def test_selectors_reach_playwright_in_its_engine_syntax():
    assert engine_selector("article.card, li.news") == "css=article.card, li.news"
    assert engine_selector("xpath://article[@class='card']") == "xpath=//article[@class='card']"
