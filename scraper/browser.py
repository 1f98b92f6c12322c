"""Rendering a listing in a browser: the crawl's settings, finding Chromium, and the page steps.

A source with `render = "browser"` is fetched through scrapy-playwright's
download handler in the same crawl as every other source; only requests
whose meta says `playwright` go through the browser, the rest (robots.txt,
every HTTP source) through Scrapy's own HTTP handler.  This module is
importable without Playwright: an HTTP-only run never imports it, and a run
without any browser source never installs the handler (which starts
Playwright's driver at every crawl start).

Steps are data, never JavaScript from the configuration: a source declares
what to wait for, how often to scroll, what to click; each step kind is one
small function here plus one entry in `STEPS`.  All of a page's waiting is
bounded by one budget (`BrowserSteps.timeout`), started when its page opens:
scrapy-playwright ignores Scrapy's `download_timeout`, so the budget is what
keeps a hung page from holding the crawl.
"""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import os
import shutil
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:  # Playwright is imported only by a run that renders in a browser
    from playwright.async_api import Page
    from scrapy_playwright.page import PageMethod

BROWSER_ENV = "TIDINGS_BROWSER"
TIMEOUT_META = "browser_timeout"  # request meta: the page's budget, in seconds
# Debian's `chromium` package (works with Playwright's Chromium driver), and Ubuntu's older name.
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
HANDLER = "scraper.browser_handler.BrowserDownloadHandler"
INSTALL_HINT = "install one with `apt-get install chromium` or `playwright install chromium`"
# A listing is text and links: what the browser need not fetch.
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})

# "Settled": no request in flight and no change to the document for QUIET
# seconds, checked every POLL seconds, waited for at most SETTLE_CAP seconds
# or half the page's remaining budget (a page that polls a server forever
# never settles; its document is taken as it is then).
QUIET = 0.5
POLL = 0.1
SETTLE_CAP = 5.0
# The document's size: changes when nodes are added or removed, text is set,
# or an overlay is hidden through a style or class attribute.  Fixed: no
# script from the configuration ever runs in a page.
_SIGNATURE_JS = (
    "() => [document.getElementsByTagName('*').length,"
    " document.documentElement ? document.documentElement.outerHTML.length : 0]"
)
_HEIGHT_JS = "() => (document.scrollingElement || document.documentElement).scrollHeight"
_SCROLL_JS = "() => window.scrollTo(0, (document.scrollingElement || document.documentElement).scrollHeight)"


class BrowserNotFound(RuntimeError):
    """No usable browser (or no scrapy-playwright) for a source that renders in one."""


class BrowserStepError(RuntimeError):
    """A page step could not be done within the page's budget; the message is one line."""


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


def is_media(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts and media are never fetched (the listing needs none)."""
    return request.resource_type in BLOCKED_RESOURCES


# --- the page's steps ----------------------------------------------------------------------


@dataclass(frozen=True)
class BrowserSteps:
    """What a source asks the browser to do once its page has loaded, in this order:
    let it settle, click `click` up to `click_times` times while present, scroll
    to the bottom up to `scroll` times, then wait for `wait_for` (or settle)."""

    wait_for: str | None = None
    scroll: int = 0
    click: str | None = None
    click_times: int = 1
    timeout: float = 30.0


@dataclass
class PageSession:
    """One page's budget and activity, shared by its steps; reset when a page opens for the request."""

    timeout: float
    deadline: float = 0.0
    in_flight: set = field(default_factory=set)
    last_activity: float = 0.0
    script_errors: list[str] = field(default_factory=list)

    async def open(self, page: "Page", request: Any = None) -> None:
        """scrapy-playwright's page init callback: start the clock, watch the network."""
        self.deadline = time.monotonic() + self.timeout
        self.in_flight = set()
        self.script_errors = []
        self.last_activity = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        page.on("pageerror", lambda error: self.script_errors.append(_one_line(str(error))))
        self.bound(page)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def bound(self, page: "Page") -> None:
        """Whatever the page does next (a navigation, the handler's load wait) ends by the deadline."""
        left_ms = max(self.remaining(), 0.001) * 1000
        page.set_default_timeout(left_ms)
        page.set_default_navigation_timeout(left_ms)

    async def call(self, page: "Page", awaitable: Any, what: str) -> Any:
        """Await a call into the page within the budget (a page spinning in a script never answers).

        Playwright's own failures (its timeouts, a selector it cannot parse)
        become one-line `BrowserStepError`s saying what could not be done.
        """
        from playwright.async_api import Error as PlaywrightError, TimeoutError as PlaywrightTimeout

        left = self.remaining()
        if left <= 0:
            _close_quietly(awaitable)
            raise self.error(page, what)
        try:
            return await asyncio.wait_for(awaitable, left)
        except (asyncio.TimeoutError, PlaywrightTimeout):
            raise self.error(page, what) from None
        except PlaywrightError as exc:
            if page.is_closed():
                raise
            raise BrowserStepError(f"browser: {first_line(exc)} at {page.url}") from None

    def error(self, page: "Page", what: str) -> BrowserStepError:
        text = f"browser: {what} within {self.timeout:g} s at {page.url}"
        if self.script_errors:
            text += f" (the page's script failed: {self.script_errors[0]})"
        return BrowserStepError(text)

    def _started(self, request: Any) -> None:
        self.in_flight.add(request)
        self.last_activity = time.monotonic()

    def _ended(self, request: Any) -> None:
        self.in_flight.discard(request)
        self.last_activity = time.monotonic()


async def settle(page: "Page", session: PageSession) -> None:
    """Wait until nothing is loading and the document stops changing, at most SETTLE_CAP seconds."""
    # Never more than half of what remains: the steps after it need time too.
    cap = time.monotonic() + min(SETTLE_CAP, max(session.remaining(), 0) / 2)
    signature = await session.call(page, page.evaluate(_SIGNATURE_JS), "the page did not answer")
    quiet_since = time.monotonic()
    while time.monotonic() < cap:
        await asyncio.sleep(POLL)
        now_signature = await session.call(page, page.evaluate(_SIGNATURE_JS), "the page did not answer")
        now = time.monotonic()
        if now_signature != signature or session.in_flight:
            signature, quiet_since = now_signature, now
        if now - max(quiet_since, session.last_activity) >= QUIET:
            return


async def click_step(page: "Page", session: PageSession, selector: str, times: int) -> None:
    """Click `selector` up to `times` times while it is on the page, visible and enabled."""
    target = page.locator(f"css={selector}").first
    for _ in range(times):
        present = await session.call(page, _clickable(target), f"could not look for {selector!r}")
        if not present:
            return
        await session.call(page, target.click(timeout=max(session.remaining(), 0.001) * 1000),
                           f"could not click {selector!r}")
        await settle(page, session)


async def _clickable(target: Any) -> bool:
    return await target.count() > 0 and await target.is_visible() and await target.is_enabled()


async def scroll_step(page: "Page", session: PageSession, times: int) -> None:
    """Scroll to the bottom up to `times` times, stopping when no new content arrives."""
    for _ in range(times):
        before = await session.call(page, page.evaluate(_HEIGHT_JS), "the page did not answer")
        await session.call(page, page.evaluate(_SCROLL_JS), "the page did not scroll")
        await settle(page, session)
        after = await session.call(page, page.evaluate(_HEIGHT_JS), "the page did not answer")
        if after <= before:
            return


async def wait_for_step(page: "Page", session: PageSession, selector: str) -> None:
    """Wait until an element matching `selector` is in the document."""
    left_ms = max(session.remaining(), 0.001) * 1000
    await session.call(page, page.wait_for_selector(f"css={selector}", state="attached", timeout=left_ms),
                       f"no element matched {selector!r}")


async def settle_step(page: "Page", session: PageSession) -> None:
    """Let the page finish what its scripts started (network idle with a cap)."""
    await settle(page, session)


async def answer_step(page: "Page", session: PageSession) -> None:
    """Last: the page still answers, so reading its document cannot hang the crawl.

    scrapy-playwright reads the rendered document with no time limit; a page
    whose script spins is closed here instead.
    """
    try:
        await session.call(page, page.evaluate("() => 1"), "the page stopped answering")
    except BrowserStepError:
        await page.close(run_before_unload=False)
        raise


@dataclass(frozen=True)
class Step:
    """One kind of step: when a source's steps want it (its arguments, or None) and what it does."""

    name: str
    wanted: Callable[[BrowserSteps], tuple | None]
    run: Callable[..., Any]


# In the order they run.  A new kind of step: one function above, one entry here.
STEPS: tuple[Step, ...] = (
    Step("settle", lambda s: (), settle_step),
    Step("click", lambda s: (s.click, s.click_times) if s.click and s.click_times > 0 else None, click_step),
    Step("scroll", lambda s: (s.scroll,) if s.scroll > 0 else None, scroll_step),
    Step("wait_for", lambda s: (s.wait_for,) if s.wait_for else None, wait_for_step),
    Step("answer", lambda s: (), answer_step),
)


def page_methods(steps: BrowserSteps, session: PageSession) -> list["PageMethod"]:
    """scrapy-playwright PageMethods doing `steps` on one page, all within `session`'s budget."""
    from scrapy_playwright.page import PageMethod  # no Playwright import: a plain record

    methods = []
    for step in STEPS:
        args = step.wanted(steps)
        if args is not None:
            methods.append(PageMethod(_bounded(step.run), session, *args))
    return methods


def _bounded(run: Callable[..., Any]) -> Callable[..., Any]:
    """A step that leaves the page's own timeouts at what remains of the budget when it ends.

    scrapy-playwright waits for the page's load state after every step, with
    the page's default timeout: without this it would wait 30 s, whatever the budget.
    """
    async def bounded(page: "Page", session: PageSession, *args: Any) -> None:
        try:
            await run(page, session, *args)
        finally:
            if not page.is_closed():
                session.bound(page)

    bounded.__name__ = bounded.__qualname__ = run.__name__
    return bounded


def browser_meta(steps: BrowserSteps) -> dict[str, Any]:
    """The request meta that renders a request's page in the browser and runs `steps` on it."""
    session = PageSession(timeout=steps.timeout)
    return {
        "playwright": True,
        TIMEOUT_META: steps.timeout,  # for the failure's one-line reason (scraper.errors)
        "playwright_page_init_callback": session.open,
        "playwright_page_goto_kwargs": {"wait_until": "load"},
        "playwright_page_methods": page_methods(steps, session),
    }


def first_line(exc: BaseException) -> str:
    """A Playwright error's message without the call log it appends on later lines."""
    text = getattr(exc, "message", None) or str(exc)
    return _one_line(text.splitlines()[0]) if text.strip() else type(exc).__name__


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _close_quietly(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close:
        close()
