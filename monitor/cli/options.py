"""What every `tidings` command shares: --config, --db, -v/--log-file and logging to stderr.

--config and --db fall back to $TIDINGS_CONFIG and $TIDINGS_DB through
click's `envvar=`; a command line value wins over the environment.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from monitor.config import DEFAULT_CONFIG, DEFAULT_DB
from monitor.errors import ConfigError, UsageError


class _FilePath(click.Path):
    """A file path, checked by click when given on the command line.

    A path from the environment is passed on as is: the config loader and the
    archive say what is wrong with it ("is a directory, not an archive file
    (pass --db FILE)"), as they did before click read the environment.
    """

    def convert(self, value, param, ctx):
        if ctx is not None and param is not None and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT:
            return Path(value)
        return super().convert(value, param, ctx)


def config_option(f):
    return click.option(
        "--config", "config_path", type=_FilePath(dir_okay=False, path_type=Path), default=None,
        envvar="TIDINGS_CONFIG",
        help="Configuration file (default: $TIDINGS_CONFIG, else ./tidings.toml).",
    )(f)


def db_option(f):
    return click.option(
        "--db", "db_path", type=_FilePath(dir_okay=False, path_type=Path), default=None, envvar="TIDINGS_DB",
        help="Archive database (default: $TIDINGS_DB, else data/tidings.db).",
    )(f)


MAX_LIMIT = 1_000_000
"""The largest --limit: far beyond any feed or result list, far below SQLite's integers (2**63 - 1)."""


def _limit(ctx, param, value: str) -> int:
    """--limit as a whole number from 1 to MAX_LIMIT; anything else is one line (exit 2)."""
    text = str(value).strip()
    if not text.lstrip("+").isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise UsageError(f"--limit {value}: must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def limit_option(default: int, help: str):
    """`--limit N` (bounded, see MAX_LIMIT)."""
    return click.option("--limit", type=str, default=str(default), metavar="N", callback=_limit,
                        show_default=True, help=f"{help} (1 to {MAX_LIMIT}).")


def config_file(config_path: Path | None) -> Path:
    """--config (or $TIDINGS_CONFIG), else ./tidings.toml."""
    return config_path or Path(DEFAULT_CONFIG)


def archive_file(db_path: Path | None) -> Path:
    """--db (or $TIDINGS_DB), else data/tidings.db."""
    return db_path or Path(DEFAULT_DB)


def config_named(config_path: Path | None) -> bool:
    """Whether the user named a configuration (--config or $TIDINGS_CONFIG), rather than the default applying."""
    return config_path is not None


def logging_options(f):
    @click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for Scrapy's).")
    @click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Write log lines to this file instead of stderr.")
    @functools.wraps(f)
    def wrapper(*args, verbose: int, log_file: Path | None, **kwargs):
        setup_logging(verbose, log_file)
        return f(*args, **kwargs)

    return wrapper


def setup_logging(verbose: int = 0, log_file: Path | None = None) -> None:
    """Log to stderr (or a file), never to stdout: stdout carries reports."""
    try:
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    except OSError as exc:
        raise ConfigError(f"{log_file}: cannot open log file: {exc.strerror}") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_QuietLibraries(verbose))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)


class _QuietLibraries(logging.Filter):
    """Scrapy and Twisted report every fault themselves; Tidings reports each
    once, in its summary.  A handler filter, since Scrapy resets logger levels."""

    LIBRARIES = ("scrapy", "twisted", "py.warnings", "asyncio", "filelock", "apscheduler")

    def __init__(self, verbose: int):
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose >= 2 or not record.name.startswith(self.LIBRARIES):
            return True
        return record.levelno >= logging.CRITICAL
