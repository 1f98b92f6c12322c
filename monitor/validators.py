"""Validators of config values, shared by the config parser and the notifier kinds.

Each takes a value as TOML gave it and returns the clean value or raises
ValueError(reason); the caller adds where (file, table, key).  They know
nothing of the config's tables, so a notifier module (monitor.notify.*)
checks its own keys with them without importing the config parser.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable
from urllib.parse import urlsplit

from monitor.durations import MAX_SECONDS, read_duration

Validator = Callable[[Any], Any]
"""A validator: the clean value, or ValueError saying what is wrong."""

_NAME = re.compile(r"^[a-z0-9_-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


MAX_INT = 2**31 - 1
"""The largest whole number a key takes unless it says less."""


def whole_number(minimum: int, maximum: int = MAX_INT) -> Callable[[Any], int]:
    """A validator of whole numbers from `minimum` to `maximum`."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"must be a whole number of at least {minimum}, not {value!r}")
        if value > maximum:
            raise ValueError(f"must be at most {maximum}, not {value!r}")
        return value

    return check


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def _finite(value: Any, rule: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be {rule}, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value!r}")
    return float(value)


def _at_most_max_seconds(seconds: float, value: Any) -> float:
    if seconds > MAX_SECONDS:
        raise ValueError(f"must be at most {MAX_SECONDS} seconds ({MAX_SECONDS // 86400} days), not {value!r}")
    return seconds


def non_negative_number(value: Any) -> float:
    """Seconds (delay, lock_wait): finite, at least 0, at most MAX_SECONDS."""
    number = _finite(value, "a number of at least 0")
    if number < 0:
        raise ValueError(f"must be a number of at least 0, not {value!r}")
    return _at_most_max_seconds(number, value)


def positive_number(value: Any) -> float:
    """Seconds (timeouts): finite, more than 0, at most MAX_SECONDS."""
    number = non_negative_number(value)
    if number <= 0:
        raise ValueError(f"must be more than 0, not {value!r}")
    return number


def matching(pattern: re.Pattern, rule: str) -> Callable[[Any], str]:
    """A validator of strings that must match `pattern`; `rule` says how."""

    def check(value: Any) -> str:
        value = string(value)
        if not pattern.match(value):
            raise ValueError(f"{value!r} {rule}")
        return value

    return check


name = matching(_NAME, "may only use a-z, 0-9, '_' and '-'")
"""A source's or notifier's name (used in file names, URLs and CLI arguments)."""

env_name = matching(_ENV_NAME, "is not an environment variable name (letters, digits and '_')")


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


def web_url(value: Any) -> str:
    """An http(s) URL to fetch: no user name or password in it (Tidings reads
    public pages, and a secret in the config file would be stored and shown)."""
    text = string(value).strip()
    try:
        netloc = urlsplit(text).netloc
    except ValueError:
        netloc = ""
    if "@" in netloc:
        raise ValueError("must not carry a user name or password (user:password@ before the host); the value is not shown")
    return http_url(text)


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


def duration(value: Any) -> float:
    """Seconds, or a string such as "90s", "30m", "24h", "2d" (monitor.durations)."""
    written = read_duration(value) if isinstance(value, str) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = _finite(value, "a number")
    elif written is not None:
        seconds = float(written.seconds)
    else:
        raise ValueError(f'must be seconds or a duration such as "30m", "24h" or "2d", not {value!r}')
    if seconds <= 0:
        raise ValueError(f"must be more than 0, not {value!r}")
    return _at_most_max_seconds(seconds, value)
