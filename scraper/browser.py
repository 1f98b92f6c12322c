"""Rendering listings in a browser: finding Chromium, and the settings of a crawl that does.

A source with `render = "browser"` is fetched through scrapy-playwright's
download handler (scraper.browser_handler) in the same crawl as every other
source; only requests whose meta says `playwright` go through the browser,
the rest (robots.txt, every HTTP source) through Scrapy's own HTTP handler.
What is done on the page is scraper.browser_steps.  This module is
importable without Playwright, and a run without any browser source never
installs the handler (which starts Playwright's driver with the crawl).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
from typing import Any, Mapping

BROWSER_ENV = "TIDINGS_BROWSER"
# Debian's `chromium` package (works with Playwright's Chromium driver), and Ubuntu's older name.
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
HANDLER = "scraper.browser_handler.BrowserDownloadHandler"
INSTALL_HINT = "install one with `apt-get install chromium` or `playwright install chromium`"
# A listing is text and links: what the browser need not fetch.
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})


class BrowserNotFound(RuntimeError):
    """No usable browser (or no scrapy-playwright) for a source that renders in one."""




# --- finding the browser -------------------------------------------------------------------


def find_browser(configured: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The Chromium executable to launch: one path, or `BrowserNotFound` with one line saying why.

    Looked for in this order: the configuration's `[browser] executable`,
    $TIDINGS_BROWSER, Debian's /usr/bin/chromium (or chromium-browser), then
    Chromium as `playwright install chromium` put it.  A path named by the
    user that does not work is an error, never silently replaced by another.
    """
    env = os.environ if env is None else env
    for origin, value in (("[browser] executable", configured), (BROWSER_ENV, env.get(BROWSER_ENV))):
        if value:
            return _named_executable(value, origin)
    for path in SYSTEM_CHROMIUMS:
        if _is_executable(path):
            return path
    for path in _playwright_chromiums(env):
        return path
    raise BrowserNotFound(f"no Chromium found for rendering in a browser: {INSTALL_HINT}")


def require_browser_support() -> None:
    """Fail with one line when scrapy-playwright is not installed (it is an optional extra)."""
    if importlib.util.find_spec("scrapy_playwright") is None:
        raise BrowserNotFound(
            "rendering in a browser needs scrapy-playwright: pip install 'tidings[browser]'"
            " (in a checkout: pip install -e '.[browser]')"
        )


def _named_executable(value: str, origin: str) -> str:
    path = value if os.sep in value else (shutil.which(value) or value)
    if not _is_executable(path):
        raise BrowserNotFound(f"browser {value!r} (from {origin}) is not an executable file: {INSTALL_HINT}")
    return path


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _playwright_chromiums(env: Mapping[str, str]) -> list[str]:
    """Chromium builds Playwright installed, newest revision first (its layout, not its API)."""
    root = env.get("PLAYWRIGHT_BROWSERS_PATH") or os.path.join(os.path.expanduser("~"), ".cache", "ms-playwright")
    if root == "0":  # Playwright's "inside the package" setting
        spec = importlib.util.find_spec("playwright")
        if spec is None or not spec.submodule_search_locations:
            return []
        root = os.path.join(list(spec.submodule_search_locations)[0], "driver", "package", ".local-browsers")
    found = glob.glob(os.path.join(root, "chromium-*", "chrome-linux*", "chrome"))
    found = [path for path in found if _is_executable(path)]

    def revision(path: str) -> int:
        name = os.path.basename(os.path.dirname(os.path.dirname(path)))
        digits = name.rpartition("-")[2]
        return int(digits) if digits.isdigit() else -1

    return sorted(found, key=revision, reverse=True)


# --- the crawl's settings ------------------------------------------------------------------


def browser_settings(executable: str | None, pages: int, block_media: bool = True) -> dict[str, Any]:
    """Scrapy settings for a crawl with at least one source rendered in a browser.

    Set them at a priority above the project's.  The handler replaces Scrapy's
    in DOWNLOAD_HANDLERS_BASE, not DOWNLOAD_HANDLERS: setting the latter
    replaces the whole table, which would re-enable the schemes the project
    switches off there (file:, ftp:, s3:, data:).  `executable` None lets
    Playwright launch its own Chromium.
    """
    if pages < 1:
        raise ValueError(f"[browser] pages must be at least 1, not {pages}")
    launch: dict[str, Any] = {"headless": True, "args": ["--disable-dev-shm-usage", "--mute-audio"]}
    if executable:
        launch["executable_path"] = executable
    settings: dict[str, Any] = {
        # Scrapy's default since 2.13 and what Tidings runs on; the handler refuses any other.
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        # One handler serves both schemes (one driver, one browser per run); it
        # passes every request without meta["playwright"] to Scrapy's HTTP handler.
        "DOWNLOAD_HANDLERS_BASE": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        # One context: pages share no state a source could leak to another but
        # the browser's cache; the page limit is the browser's concurrency.
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": pages,
    }
    if block_media:
        settings["PLAYWRIGHT_ABORT_REQUEST"] = "scraper.browser.is_media"
    return settings


def use_browser(settings: Any) -> None:
    """Make a crawl's (not yet frozen) settings render in a browser, once, from its TIDINGS_BROWSER_* settings.

    Called by the listing spider when its plan has a source rendered in a
    browser: a crawl without one never installs the handler.  Raises
    `BrowserNotFound` (one line) when scrapy-playwright or Chromium is missing.
    """
    if settings.getwithbase("DOWNLOAD_HANDLERS").get("http") == HANDLER:
        return
    require_browser_support()
    executable = find_browser(settings.get("TIDINGS_BROWSER_EXECUTABLE"))
    chosen = browser_settings(executable, settings.getint("TIDINGS_BROWSER_PAGES", 2),
                              settings.getbool("TIDINGS_BROWSER_BLOCK_MEDIA", True))
    settings.setdict(chosen, priority="spider")


def is_media(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts and media are never fetched (the listing needs none)."""
    return request.resource_type in BLOCKED_RESOURCES


