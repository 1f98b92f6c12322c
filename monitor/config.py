"""The configuration file (TOML) turned into frozen dataclasses.

Every error names the file, the source (or table) and the key, because the
person reading it is fixing a file by hand, often from a cron mail.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
import datetime
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from monitor.errors import ConfigError
from scraper.selectors import SELECTOR_KEYS

if TYPE_CHECKING:
    from scraper.selectors import Selectors

DEFAULT_CONFIG = "tidings.toml"
DEFAULT_DB = "data/tidings.db"
PROJECT_URL = "https://github.com/tidings-monitor/tidings"

_NAME = re.compile(r"^[a-z0-9_-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdSMHD]?)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
ALERT_KINDS = ("new", "updated", "broken")


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
    """One watched listing (a `[[source]]` table, after `[defaults]`)."""

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

    @property
    def selectors(self) -> Selectors | None:
        """The configured selectors, or None for automatic detection."""
        if not self.item:
            return None
        from scraper.selectors import Selectors

        return Selectors(self.item, self.headline or "", self.summary, self.link, self.date, self.next_page)


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

    def watches(self, source: str) -> bool:
        return not self.sources or source in self.sources


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[Source, ...]
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
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
        wanted = [self.source(n) for n in names]
        return tuple(s for s in self.sources if s in wanted)


def resolve_config_path(path: str | os.PathLike | None) -> Path:
    return Path(path or os.environ.get("TIDINGS_CONFIG") or DEFAULT_CONFIG)


def resolve_db_path(path: str | os.PathLike | None) -> Path:
    return Path(path or os.environ.get("TIDINGS_DB") or DEFAULT_DB)


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a configuration file."""
    path = resolve_config_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found (use --config PATH or TIDINGS_CONFIG)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied") from None
    return config_from_bytes(data, path)


def config_from_bytes(data: bytes, path: Path) -> Config:
    """Validate a configuration file's contents, read already (the daemon
    checks the very bytes it then hands its children); errors name `path`."""
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(table, path)


# Extra top-level tables and keys other modules read (notifiers, scheduler,
# feeds...).  Each registers its name here so unknown keys are still errors.
TOP_LEVEL_KEYS: set[str] = {"crawl", "defaults", "source", "notify", "alerts", "feeds_dir"}


def parse_config(data: dict, path: Path | str = DEFAULT_CONFIG) -> Config:
    path = Path(path)
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} at top level (known: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    crawl = _parse_crawl(_table(data, "crawl", path), path)
    defaults = dict(_table(data, "defaults", path))
    only = _validate({k: defaults.pop(k) for k in DEFAULTS_ONLY_KEYS if k in defaults}, DEFAULTS_ONLY_KEYS,
                     f"{path}: [defaults]")
    _validate(defaults, SOURCE_KEYS, f"{path}: [defaults]")
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list) or not all(isinstance(s, dict) for s in raw_sources):
        raise ConfigError(f"{path}: 'source' must be [[source]] tables")
    sources = []
    names: set[str] = set()
    for index, raw in enumerate(raw_sources, 1):
        source = _parse_source({**defaults, **raw}, path, index)
        if source.name in names:
            raise ConfigError(f"{path}: source {source.name!r}: key 'name': duplicate source name")
        names.add(source.name)
        sources.append(source)
    alerts = AlertSettings(**_validate(_table(data, "alerts", path), ALERTS_KEYS, f"{path}: [alerts]"))
    feeds_dir = _feeds_dir(data["feeds_dir"], path) if "feeds_dir" in data else None
    notify = _parse_notifiers(data.get("notify", []), path, alerts, names)
    return Config(path=path, sources=tuple(sources), crawl=crawl, notify=notify, alerts=alerts, feeds_dir=feeds_dir,
                  **only)


# Set by the daemon for its crawl children, which read a snapshot of the
# config in a temporary folder: relative paths stay relative to the real file.
CONFIG_BASE_ENV = "TIDINGS_CONFIG_BASE"


def _feeds_dir(value: Any, path: Path) -> Path:
    """A folder for feeds; a relative one is taken from the configuration file's folder."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: key 'feeds_dir': must be a non-empty string (a folder path)")
    folder = Path(value).expanduser()
    base = Path(os.environ.get(CONFIG_BASE_ENV) or path.parent)
    return folder if folder.is_absolute() else base / folder


def _table(data: dict, name: str, path: Path) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: '{name}' must be a table ([{name}])")
    return value


def _check_keys(table: dict, known: dict, where: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")


# --- validators: each returns the clean value or raises ValueError(reason).
# The public ones (string, positive_int, http_url, env_name, str_list) also
# check the keys of notifier modules ([[notify]] tables). ---

def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number of at least 1, not {value!r}")
    return value


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a whole number of at least 0, not {value!r}")
    return value


def _non_negative_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"must be a number of at least 0, not {value!r}")
    return float(value)


def _positive_number(value: Any) -> float:
    number = _non_negative_number(value)
    if number <= 0:
        raise ValueError(f"must be more than 0, not {value!r}")
    return number


def _matching(pattern: re.Pattern, rule: str) -> Callable[[Any], str]:
    """A validator of strings that must match `pattern`; `rule` says how."""

    def check(value: Any) -> str:
        value = string(value)
        if not pattern.match(value):
            raise ValueError(f"{value!r} {rule}")
        return value

    return check


_name = _matching(_NAME, "may only use a-z, 0-9, '_' and '-'")


def http_url(value: Any) -> str:
    value = string(value).strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r}: only http and https URLs are allowed")
    if not parts.hostname:
        raise ValueError(f"{value!r} has no host")
    return value


env_name = _matching(_ENV_NAME, "is not an environment variable name (letters, digits and '_')")


def str_list(value: Any) -> tuple[str, ...]:
    """A non-empty list of non-empty strings (a single string is a list of one)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of strings")
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"must be a list of non-empty strings, not {entry!r} inside")
    return tuple(entry.strip() for entry in value)


def _duration(value: Any) -> float:
    """Seconds, or a string such as "90s", "30m", "24h", "2d"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2).lower() or "s"]
    else:
        raise ValueError(f'must be seconds or a duration such as "30m", "24h" or "2d", not {value!r}')
    if seconds <= 0:
        raise ValueError(f"must be more than 0, not {value!r}")
    return seconds


def _selector(value: Any) -> str:
    # Imported here: lxml and parsel cost more than the rest of start-up, and
    # `tidings --help` or a config error before any selector needs neither.
    from scraper.selectors import SelectorError, compile_selector

    value = string(value)
    try:
        compile_selector(value)
    except SelectorError as exc:
        raise ValueError(str(exc)) from None
    return value


def _schedule(value: Any) -> str:
    from monitor.schedule import parse_schedule

    parse_schedule(value)
    return value


def _timezone(value: Any) -> str:
    from monitor.schedule import parse_timezone

    parse_timezone(value)
    return value


SOURCE_KEYS: dict[str, Callable[[Any], Any]] = {
    "name": _name,
    "url": http_url,
    **{key: _selector for key in SELECTOR_KEYS},
    "max_pages": positive_int,
    "timeout": _positive_number,
    "alert_on_first_run": _bool,
    "schedule": _schedule,
    "run_timeout": _positive_number,
}

# Keys of [defaults] that belong to the whole file, not to each source.
DEFAULTS_ONLY_KEYS: dict[str, Callable[[Any], Any]] = {
    "timezone": _timezone,
}

CRAWL_KEYS: dict[str, Callable[[Any], Any]] = {
    "concurrency": positive_int,
    "per_domain": positive_int,
    "delay": _non_negative_number,
    "autothrottle": _bool,
    "user_agent": string,
    "contact": string,
    "obey_robots": _bool,
    "max_bytes": positive_int,
    "lock_wait": _non_negative_number,
    "processes": _non_negative_int,
}


def _validate(table: dict, validators: dict, where: str) -> dict:
    _check_keys(table, validators, where)
    clean = {}
    for key, value in table.items():
        try:
            clean[key] = validators[key](value)
        except ValueError as exc:
            raise ConfigError(f"{where}: key {key!r}: {exc}") from None
    return clean


def _parse_crawl(table: dict, path: Path) -> CrawlSettings:
    return CrawlSettings(**_validate(table, CRAWL_KEYS, f"{path}: [crawl]"))


def _parse_source(table: dict, path: Path, index: int) -> Source:
    label = table.get("name") if isinstance(table.get("name"), str) else f"#{index}"
    where = f"{path}: source {label!r}"
    for required in ("name", "url"):
        if required not in table:
            raise ConfigError(f"{where}: key {required!r} is required")
    if "timezone" in table:
        raise ConfigError(f"{where}: key 'timezone' belongs in [defaults] (one time zone for every schedule)")
    clean = _validate(table, SOURCE_KEYS, where)
    if clean.get("item") and not clean.get("headline"):
        raise ConfigError(f"{where}: key 'headline' is required when 'item' is set")
    if not clean.get("item"):
        for key in ("headline", "summary", "link", "date"):
            if key in clean:
                raise ConfigError(f"{where}: key {key!r} needs 'item' too (without 'item' the listing is detected automatically)")
    known = {f.name for f in fields(Source)}
    return Source(**{k: v for k, v in clean.items() if k in known})


ALERTS_KEYS: dict[str, Callable[[Any], Any]] = {
    "broken_after": positive_int,
    "give_up_after": _duration,
}


def _alert_kinds(value: Any) -> tuple[str, ...]:
    kinds = str_list(value)
    for kind in kinds:
        if kind not in ALERT_KINDS:
            raise ValueError(f"{kind!r} is not one of {', '.join(ALERT_KINDS)}")
    return tuple(dict.fromkeys(kinds))


# Keys every [[notify]] table may have; each kind adds its own (`KEYS` of its
# class in monitor.notify).
NOTIFY_KEYS: dict[str, Callable[[Any], Any]] = {
    "type": string,
    "name": _name,
    "sources": str_list,
    "on": _alert_kinds,
    "digest": _bool,
    "timeout": _positive_number,
    **ALERTS_KEYS,
}


def _parse_notifiers(raw: Any, path: Path, alerts: AlertSettings, source_names: set[str]) -> tuple[NotifierConfig, ...]:
    if not isinstance(raw, list) or not all(isinstance(n, dict) for n in raw):
        raise ConfigError(f"{path}: 'notify' must be [[notify]] tables")
    if not raw:
        return ()  # without [[notify]], no notifier module (smtplib, email, http.client) is imported
    from monitor.notify.registry import NOTIFIERS

    notifiers: list[NotifierConfig] = []
    for index, table in enumerate(raw, 1):
        kind = table.get("type")
        label = f"{path}: notify #{index}"
        if kind is None:
            raise ConfigError(f"{label}: key 'type' is required ({', '.join(sorted(NOTIFIERS))})")
        if kind not in NOTIFIERS:
            raise ConfigError(f"{label}: key 'type': {kind!r} is not one of {', '.join(sorted(NOTIFIERS))}")
        cls = NOTIFIERS[kind]
        name = table.get("name") if isinstance(table.get("name"), str) else f"{kind}-{index}"
        where = f"{label} {name!r} (type {kind})"
        clean = _validate(table, {**NOTIFY_KEYS, **cls.KEYS}, where)
        for key in clean.get("sources", ()):
            if key not in source_names:
                raise ConfigError(f"{where}: key 'sources': no source named {key!r}")
        options = {k: v for k, v in clean.items() if k in cls.KEYS}
        try:
            options = cls.check_options(options)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if any(n.name == name for n in notifiers):
            raise ConfigError(f"{where}: key 'name': duplicate notifier name")
        common = {k: v for k, v in clean.items() if k in NOTIFY_KEYS and k not in ("type", "name")}
        notifiers.append(NotifierConfig(**{
            "broken_after": alerts.broken_after, "give_up_after": alerts.give_up_after,
            **common, "name": name, "type": kind, "options": options,
        }))
    return tuple(notifiers)


# --- writing selectors back as TOML (tidings preview --emit-config, suggestions) ---

def toml_string(value: str) -> str:
    """A TOML string for a selector: a literal '...' when possible (readable), else a basic one."""
    if "'" not in value and not any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML


def selectors_lines(selectors: Selectors) -> list[str]:
    """`key = 'selector'` lines for the selectors that are set, in config order."""
    return [f"{key} = {toml_string(getattr(selectors, key))}" for key in SELECTOR_KEYS if getattr(selectors, key)]


def selectors_inline(selectors: Selectors) -> str:
    """The selectors on one line, as a suggestion in a crawl's reason."""
    return ", ".join(selectors_lines(selectors))


def source_name_for(url: str) -> str:
    """A valid source name from a URL's host: https://www.un.org/press -> 'un-org'."""
    host = (urlsplit(url).hostname or "source").lower()
    host = host[4:] if host.startswith("www.") else host
    return re.sub(r"[^a-z0-9_-]+", "-", host).strip("-") or "source"


def source_toml(name: str, url: str, selectors: Selectors) -> str:
    """A ready [[source]] block that pins the selectors."""
    lines = ["[[source]]", f"name = {toml_string(name)}", f"url = {toml_string(url)}", *selectors_lines(selectors)]
    return "\n".join(lines) + "\n"
