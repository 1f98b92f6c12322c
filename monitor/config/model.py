"""The configuration as frozen dataclasses: what the rest of Tidings reads.

No parsing here (monitor.config.parse builds these from TOML) and no imports
back from the modules that use them, so a notifier or the daemon can name
these types without pulling in the parser.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import ConfigError
from monitor.filters import TextFilter
from scraper.selectors import SELECTOR_KEYS

if TYPE_CHECKING:
    from scraper.browser_steps import BrowserSteps
    from scraper.selectors import Selectors

DEFAULT_CONFIG = "tidings.toml"
DEFAULT_DB = "data/tidings.db"
PROJECT_URL = "https://github.com/tidings-monitor/tidings"
ALERT_KINDS = ("new", "updated", "broken")
# How a source's pages are fetched: Scrapy's HTTP client, or rendered in Chromium (scrapy-playwright).
RENDER_HTTP = "http"
RENDER_BROWSER = "browser"
RENDER_MODES = (RENDER_HTTP, RENDER_BROWSER)
# Source keys that only mean something with render = "browser" (the page steps).
BROWSER_STEP_KEYS = ("wait_for", "scroll", "click", "click_times", "browser_timeout")


@dataclass(frozen=True)
class CrawlSettings:
    """Politeness and speed for a whole run (the `[crawl]` table)."""

    concurrency: int = 8
    per_domain: int = 2
    delay: float = 1.0
    autothrottle: bool = True
    user_agent: str = ""
    contact: str = PROJECT_URL
    obey_robots: bool = True
    max_bytes: int = 10 * 1024 * 1024
    lock_wait: float = 10.0
    processes: int = 0  # crawl processes; 0: automatic (see monitor.workers)

    @property
    def effective_user_agent(self) -> str:
        if self.user_agent:
            return self.user_agent
        from monitor import __version__

        return f"Tidings/{__version__} (+{self.contact})"


@dataclass(frozen=True)
class Source:
    """One watched listing (a `[[source]]` table, after `[defaults]`).

    The selector fields are the config keys of scraper.selectors.SELECTOR_KEYS,
    one field each (checked below, so the two cannot drift apart).
    """

    name: str
    url: str
    item: str | None = None
    headline: str | None = None
    summary: str | None = None
    link: str | None = None
    date: str | None = None
    next_page: str | None = None
    max_pages: int = 1
    timeout: float = 30.0
    alert_on_first_run: bool = False
    schedule: str | None = None
    run_timeout: float = 600.0
    render: str = RENDER_HTTP
    # The page steps of a browser source (scraper.browser_steps), ignored over HTTP.
    wait_for: str | None = None
    scroll: int = 0
    click: str | None = None
    click_times: int = 1
    browser_timeout: float | None = None  # None: the source's `timeout`
    include: tuple[str, ...] = ()  # words or /regexes/ an item must match to be reported (monitor.filters)
    exclude: tuple[str, ...] = ()  # ... and must not match

    @property
    def browser(self) -> bool:
        """True when the source's pages are rendered in a browser."""
        return self.render == RENDER_BROWSER

    @property
    def browser_steps(self) -> BrowserSteps | None:
        """What the browser does on each page of the source; None for an HTTP source.

        Without `wait_for`, the page waits for the item selector when one is
        set (the listing is there once a block is), else until it settles.
        """
        if not self.browser:
            return None
        from scraper.browser_steps import BrowserSteps

        return BrowserSteps(wait_for=self.wait_for or self.item, scroll=self.scroll, click=self.click,
                            click_times=self.click_times,
                            timeout=self.browser_timeout if self.browser_timeout is not None else self.timeout)

    @property
    def filter(self) -> TextFilter:
        """Which of this source's new and updated items are reported."""
        return TextFilter(self.include, self.exclude)

    @property
    def selectors(self) -> Selectors | None:
        """The configured selectors, or None for automatic detection."""
        if not self.item:
            return None
        from scraper.selectors import Selectors

        written = {key: getattr(self, key) for key in SELECTOR_KEYS}
        return Selectors(**{**written, "headline": self.headline or ""})


_MISSING_SELECTOR_FIELDS = set(SELECTOR_KEYS) - {f.name for f in fields(Source)}
if _MISSING_SELECTOR_FIELDS:  # a key added to Selectors must become a config key too
    raise TypeError(f"Source lacks the selector keys {sorted(_MISSING_SELECTOR_FIELDS)}")


@dataclass(frozen=True)
class BrowserSettings:
    """The one browser of a run with browser sources (the `[browser]` table)."""

    executable: str | None = None  # None: $TIDINGS_BROWSER, the system's Chromium, else Playwright's
    pages: int = 2  # pages open at once, across every browser source of the run
    block_media: bool = True  # no images, fonts or media are fetched


@dataclass(frozen=True)
class AlertSettings:
    """Defaults for every notifier (the `[alerts]` table)."""

    broken_after: int = 3  # consecutive failed/suspect runs before a "broken" alert
    give_up_after: float = 24 * 3600.0  # seconds a delivery is retried before it is dead


@dataclass(frozen=True)
class NotifierConfig:
    """One `[[notify]]` table: the keys every kind shares, plus `options`,
    the keys of its kind (validated by the kind's module)."""

    name: str
    type: str
    options: dict = field(default_factory=dict, compare=False)
    sources: tuple[str, ...] = ()  # empty: every source
    on: tuple[str, ...] = ("new", "broken")
    digest: bool = True
    timeout: float = 10.0
    broken_after: int = AlertSettings.broken_after
    give_up_after: float = AlertSettings.give_up_after
    timezone: str = "UTC"  # [defaults] timezone: how messages write dates
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def tzinfo(self) -> datetime.tzinfo:
        from monitor.schedule import parse_timezone

        return parse_timezone(self.timezone)

    @property
    def filter(self) -> TextFilter:
        """Which items this notifier alerts on (of those its sources report)."""
        return TextFilter(self.include, self.exclude)

    def watches(self, source: str) -> bool:
        return not self.sources or source in self.sources


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[Source, ...]
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    browser: BrowserSettings = field(default_factory=BrowserSettings)
    notify: tuple[NotifierConfig, ...] = ()
    alerts: AlertSettings = field(default_factory=AlertSettings)
    timezone: str = "UTC"
    feeds_dir: Path | None = None  # write Atom/RSS feeds here after every run

    @property
    def tzinfo(self) -> datetime.tzinfo:
        """The time zone of cron schedules ([defaults] timezone, default UTC)."""
        from monitor.schedule import parse_timezone

        return parse_timezone(self.timezone)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source named {name!r} (configured: {known})")

    def notifiers(self, name: str | None = None) -> tuple[NotifierConfig, ...]:
        """Every notifier, or the one named (a config error if there is none)."""
        if not self.notify:
            raise ConfigError(f"{self.path}: no [[notify]] configured")
        if name is None:
            return self.notify
        for notifier in self.notify:
            if notifier.name == name:
                return (notifier,)
        known = ", ".join(n.name for n in self.notify)
        raise ConfigError(f"{self.path}: no notifier named {name!r} (configured: {known})")

    def require_sources(self) -> "Config":
        """This config, if it has something to crawl (`tidings run`, the daemon)."""
        if not self.sources:
            raise ConfigError(f"{self.path}: no [[source]] configured")
        return self

    def select(self, names: tuple[str, ...] | list[str] | None) -> tuple[Source, ...]:
        """The named sources (all when none named), in config order."""
        if not names:
            return self.sources
        known = {s.name for s in self.sources}
        for name in names:
            if name not in known:
                self.source(name)  # raises the one-line error naming the configured sources
        wanted = set(names)  # by name, once: a daemon batch of 100 names among 50,000 sources
        return tuple(s for s in self.sources if s.name in wanted)
