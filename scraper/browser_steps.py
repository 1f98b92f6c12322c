"""The declarative steps a source asks of its page in the browser, all within one budget.

Steps are data, never JavaScript from the configuration: a source declares
what to wait for, how often to scroll, what to click (`BrowserSteps`); each
kind of step is one small function here plus one entry in `STEPS`, and
becomes one scrapy-playwright `PageMethod`.  Every wait of a page is bounded
by one budget (`BrowserSteps.timeout`), started when its page opens:
scrapy-playwright ignores Scrapy's `download_timeout`, so the budget is what
keeps a hung page from holding the crawl.  The only scripts run in a page
are the fixed ones below.

Importable without Playwright (it is imported inside the steps, which run
only in a crawl that renders in a browser).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from playwright.async_api import Page
    from scrapy_playwright.page import PageMethod

TIMEOUT_META = "browser_timeout"  # request meta: the page's budget, in seconds

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


class BrowserStepError(RuntimeError):
    """A page step could not be done within the page's budget; the message is one line."""


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
    target = page.locator(engine_selector(selector)).first
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
    await session.call(page, page.wait_for_selector(engine_selector(selector), state="attached", timeout=left_ms),
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


def engine_selector(selector: str) -> str:
    """A selector as Tidings writes them (CSS, or `xpath:EXPR`) in Playwright's engine syntax."""
    if selector.startswith("xpath:"):
        return "xpath=" + selector[len("xpath:"):]
    return "css=" + selector


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