"""The configuration file (TOML) read, checked and turned into monitor.config.model.

Every error names the file, the source (or table) and the key, because the
person reading it is fixing a file by hand, often from a cron mail.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from monitor.config.model import (
    ALERT_KINDS, BROWSER_STEP_KEYS, DEFAULT_CONFIG, DEFAULT_DB, RENDER_MODES, AlertSettings, BrowserSettings, Config,
    CrawlSettings, NotifierConfig, Source,
)
from monitor.errors import ConfigError
from monitor.filters import patterns
from monitor.validators import (
    Validator, boolean, duration, name, non_negative_int, non_negative_number, positive_int,
    positive_number, str_list, string, web_url, whole_number,
)
from scraper.selectors import SELECTOR_KEYS

# Set by the daemon for its crawl children, which read a snapshot of the
# config in a temporary folder: relative paths stay relative to the real file.
CONFIG_BASE_ENV = "TIDINGS_CONFIG_BASE"


def resolve_config_path(path: str | os.PathLike | None) -> Path:
    """`path`, else $TIDINGS_CONFIG, else ./tidings.toml: for entry points other than the
    CLI (`scrapy crawl`, the spider), which has click read the environment (monitor.cli.options)."""
    return Path(path or os.environ.get("TIDINGS_CONFIG") or DEFAULT_CONFIG)


def resolve_db_path(path: str | os.PathLike | None) -> Path:
    """`path`, else $TIDINGS_DB, else data/tidings.db (as resolve_config_path)."""
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
TOP_LEVEL_KEYS: set[str] = {"crawl", "browser", "defaults", "source", "notify", "alerts", "feeds_dir"}


def parse_config(data: dict, path: Path | str = DEFAULT_CONFIG) -> Config:
    path = Path(path)
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} at top level (known: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    crawl = _parse_crawl(_table(data, "crawl", path), path)
    browser = BrowserSettings(**_validate(_table(data, "browser", path), BROWSER_KEYS, f"{path}: [browser]"))
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
        source = _parse_source({**defaults, **raw}, path, index, written=raw)
        if source.name in names:
            raise ConfigError(f"{path}: source {source.name!r}: key 'name': duplicate source name")
        names.add(source.name)
        sources.append(source)
    alerts = AlertSettings(**_validate(_table(data, "alerts", path), ALERTS_KEYS, f"{path}: [alerts]"))
    feeds_dir = _feeds_dir(data["feeds_dir"], path) if "feeds_dir" in data else None
    notify = _parse_notifiers(data.get("notify", []), path, alerts, names, only.get("timezone", "UTC"))
    return Config(path=path, sources=tuple(sources), crawl=crawl, browser=browser, notify=notify, alerts=alerts, feeds_dir=feeds_dir,
                  **only)


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


# --- validators of config-only keys (the shared ones are in monitor.validators) ---

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


def _element_selector(value: Any) -> str:
    """A selector of elements the browser waits for or clicks: no `::text` / `::attr()` (those pick text)."""
    value = _selector(value)
    if "::" in value and not value.startswith("xpath:"):
        raise ValueError(f"{value!r} must select elements (no ::text or ::attr(...))")
    return value


def _render(value: Any) -> str:
    value = string(value)
    if value not in RENDER_MODES:
        raise ValueError(f"{value!r} is not one of {', '.join(map(repr, RENDER_MODES))}")
    return value


def _executable(value: Any) -> str:
    value = string(value).strip()
    if not value:
        raise ValueError("must be a path or command name, not empty")
    return value


def _schedule(value: Any) -> str:
    from monitor.schedule import parse_schedule

    parse_schedule(value)
    return value


def _timezone(value: Any) -> str:
    from monitor.schedule import parse_timezone

    parse_timezone(value)
    return value


def _alert_kinds(value: Any) -> tuple[str, ...]:
    kinds = str_list(value)
    for kind in kinds:
        if kind not in ALERT_KINDS:
            raise ValueError(f"{kind!r} is not one of {', '.join(ALERT_KINDS)}")
    return tuple(dict.fromkeys(kinds))


SOURCE_KEYS: dict[str, Validator] = {
    "name": name,
    "url": web_url,
    **{key: _selector for key in SELECTOR_KEYS},
    "max_pages": whole_number(1, 10_000),
    "timeout": positive_number,
    "alert_on_first_run": boolean,
    "schedule": _schedule,
    "run_timeout": positive_number,
    "render": _render,
    # The page steps of render = "browser" (BROWSER_STEP_KEYS).
    "wait_for": _element_selector,
    "scroll": non_negative_int,
    "click": _element_selector,
    "click_times": positive_int,
    "browser_timeout": positive_number,
    "follow": boolean,
    "follow_limit": positive_int,
    "refollow": boolean,
    "follow_retries": positive_int,
    "include": patterns,
    "exclude": patterns,
}

BROWSER_KEYS: dict[str, Validator] = {
    "executable": _executable,
    "pages": positive_int,
    "block_media": boolean,
}

# Keys of [defaults] that belong to the whole file, not to each source.
DEFAULTS_ONLY_KEYS: dict[str, Validator] = {
    "timezone": _timezone,
}

CRAWL_KEYS: dict[str, Validator] = {
    "concurrency": whole_number(1, 10_000),
    "per_domain": whole_number(1, 10_000),
    "delay": non_negative_number,
    "autothrottle": boolean,
    "user_agent": string,
    "contact": string,
    "obey_robots": boolean,
    "max_bytes": positive_int,
    "lock_wait": non_negative_number,
    "processes": whole_number(0, 1024),
}

ALERTS_KEYS: dict[str, Validator] = {
    "broken_after": whole_number(1, 1_000_000),
    "give_up_after": duration,
}

# Keys every [[notify]] table may have; each kind adds its own (`KEYS` of its
# class in monitor.notify).
NOTIFY_KEYS: dict[str, Validator] = {
    "type": string,
    "name": name,
    "sources": str_list,
    "on": _alert_kinds,
    "digest": boolean,
    "timeout": positive_number,
    "include": patterns,
    "exclude": patterns,
    **ALERTS_KEYS,
}

# Selector keys that only mean something with 'item' (without it, the listing is detected).
_NEED_ITEM = tuple(key for key in SELECTOR_KEYS if key not in ("item", "next_page"))


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


def _parse_source(table: dict, path: Path, index: int, written: dict | None = None) -> Source:
    """One [[source]], `table` with [defaults] under it; `written`: the keys of its own table."""
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
        for key in _NEED_ITEM:
            if key in clean:
                raise ConfigError(f"{where}: key {key!r} needs 'item' too (without 'item' the listing is detected automatically)")
    if clean.get("render", "http") != "browser":
        # A step written in the source's own table is a mistake (it would do nothing);
        # one from [defaults] is meant for the browser sources only.
        for key in BROWSER_STEP_KEYS:
            if key in (table if written is None else written):
                raise ConfigError(f'{where}: key {key!r} needs render = "browser" (a page step of the browser)')
        clean = {k: v for k, v in clean.items() if k not in BROWSER_STEP_KEYS}
    known = {f.name for f in fields(Source)}
    return Source(**{k: v for k, v in clean.items() if k in known})


def _parse_notifiers(raw: Any, path: Path, alerts: AlertSettings, source_names: set[str],
                     timezone: str = "UTC") -> tuple[NotifierConfig, ...]:
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
        notifier_name = table.get("name") if isinstance(table.get("name"), str) else f"{kind}-{index}"
        where = f"{label} {notifier_name!r} (type {kind})"
        clean = _validate(table, {**NOTIFY_KEYS, **cls.KEYS}, where)
        for key in clean.get("sources", ()):
            if key not in source_names:
                raise ConfigError(f"{where}: key 'sources': no source named {key!r}")
        options = {k: v for k, v in clean.items() if k in cls.KEYS}
        try:
            options = cls.check_options(options)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if any(n.name == notifier_name for n in notifiers):
            raise ConfigError(f"{where}: key 'name': duplicate notifier name")
        common = {k: v for k, v in clean.items() if k in NOTIFY_KEYS and k not in ("type", "name")}
        notifiers.append(NotifierConfig(**{
            "broken_after": alerts.broken_after, "give_up_after": alerts.give_up_after, "timezone": timezone,
            **common, "name": notifier_name, "type": kind, "options": options,
        }))
    return tuple(notifiers)
