"""Commands that edit the configuration file: `tidings add URL` and `tidings remove NAME`.

The file is a person's: only the one [[source]] block changes, every other
byte stays (monitor.config.edit), and it is replaced atomically, so a crash
leaves the old file or the new one.  The result is checked like any
configuration before it is written.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import click

from monitor.cli.options import archive_file, config_file, config_option, db_option, logging_options
from monitor.config import Config, Source, config_from_bytes, parse_config, source_name_for, unique_name
from monitor.config.model import RENDER_MODES
from monitor.errors import ConfigError
from monitor.files import FILE_MODE, atomic_write
from scraper.selectors import SELECTOR_KEYS



@click.command()
@click.argument("url")
@config_option
@db_option
@click.option("--name", metavar="NAME", help="The new source's name (default: from the URL's host and path).")
@click.option("--schedule", metavar="WHEN", help='When the daemon crawls it: "30m", "6h", "1d" or a cron expression.')
@click.option("--render", type=click.Choice(RENDER_MODES),
              help="Fetch the page over plain HTTP or render it in a browser (previewed the same way).")
@click.option("-y", "--yes", is_flag=True, help="Add without asking (for scripts).")
@logging_options
def add(url, config_path, db_path, name, schedule, render, yes) -> None:
    """Preview URL, show the items found, and add it as a source pinned to those selectors."""
    from monitor import run as run_module
    from monitor.cli.crawling import PreviewFailed, print_records
    from monitor.config import BrowserSettings, CrawlSettings
    from monitor.config.edit import add_source, source_block
    from scraper.browser import BrowserNotFound

    del db_path  # taken as by every command; adding a source writes nothing to the archive
    path = config_file(config_path)
    text = _read(path, missing_ok=True)
    config = config_from_bytes(text.encode("utf-8"), path) if text.strip() else None
    source = _new_source(url, name, schedule, render, config, path)
    try:
        result = run_module.preview(source, config.crawl if config else CrawlSettings(),
                                    config.browser if config else BrowserSettings())
    except BrowserNotFound as exc:
        raise PreviewFailed(f"{exc}; nothing written") from None
    if result.error:
        raise PreviewFailed(f"{result.error}; nothing written")
    if result.detected is None or not result.records:
        raise PreviewFailed(f"automatic detection found no listing on {source.url}; nothing written")
    print_records(source, result.records)
    table = {"name": source.name, "url": source.url,
             **{key: getattr(result.detected, key) for key in SELECTOR_KEYS if getattr(result.detected, key)},
             **({"schedule": schedule} if schedule else {}), **({"render": render} if render else {})}
    click.echo("")
    click.echo(source_block(table), nl=False)
    if not yes and not _confirm(f"Add this source to {path}?"):
        click.echo("tidings: nothing written", err=True)
        raise click.exceptions.Exit(1)
    updated = add_source(text, table)
    _check(updated, path, added=source.name)
    _write(path, updated)
    click.echo(f"tidings: added source {source.name!r} to {path}", err=True)


@click.command()
@click.argument("name")
@config_option
@db_option
@logging_options
def remove(name, config_path, db_path) -> None:
    """Remove source NAME from the configuration; its archived items stay."""
    from monitor.config.edit import EditError, remove_source

    path = config_file(config_path)
    text = _read(path)
    config = config_from_bytes(text.encode("utf-8"), path)
    config.source(name)  # an unknown name: one line listing the configured ones
    for notifier in config.notify:
        if name in notifier.sources:
            raise ConfigError(f"{path}: notifier {notifier.name!r} names source {name!r} in 'sources'; "
                              "take it out there first")
    try:
        updated = remove_source(text, name)
    except EditError as exc:  # e.g. a source defined as an inline array, not a [[source]] table
        raise ConfigError(f"{path}: cannot remove {name!r}: {exc} as a [[source]] table") from None
    _check(updated, path, removed=name)
    _write(path, updated)
    kept = _archived_items(archive_file(db_path), name)
    stay = "its archived items stay" if kept is None else f"its {kept} archived item{'s' if kept != 1 else ''} stay"
    click.echo(f"tidings: removed source {name!r} from {path} ({stay})", err=True)


def _archived_items(db: Path, name: str) -> int | None:
    """How many items the archive holds for a source (None without an archive to ask)."""
    from datetime import datetime, timezone

    from monitor.archive import Archive
    from monitor.archive.overview import source_overview
    from monitor.errors import TidingsError

    if not db.exists():
        return None
    try:
        with Archive(db, readonly=True) as archive:
            overview = source_overview(archive, datetime.now(timezone.utc).isoformat())
    except TidingsError:
        return None  # the configuration is written; an unreadable archive is for `tidings status` to report
    return overview[name].items if name in overview else 0


def _new_source(url: str, name: str | None, schedule: str | None, render: str | None, config: Config | None,
                path: Path) -> Source:
    """The source to add, checked as a [[source]] is and against the file's
    sources: a URL it watches already (however spelt) or a name it has is refused."""
    from scraper.urls import canonical_url

    sources = config.sources if config else ()
    if name is None:
        name = unique_name(source_name_for(url), (s.name for s in sources))
    table = {"name": name, "url": url, **({"schedule": schedule} if schedule else {}),
             **({"render": render} if render else {})}
    source = parse_config({"source": [table]}, "command line").sources[0]  # a bad URL, name or schedule: one line
    same = canonical_url(source.url, source.url)  # "HTTPS://Example.org/news#top" is the same listing
    for known in sources:
        if known.url == source.url or canonical_url(known.url, known.url) == same:
            raise ConfigError(f"{path}: source {known.name!r} already watches {source.url}")
        if known.name == source.name:
            raise ConfigError(f"{path}: a source named {source.name!r} exists already (choose another with --name)")
    return source


def _read(path: Path, missing_ok: bool = False) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        if missing_ok:
            return ""
        raise ConfigError(f"{path}: configuration file not found (use --config PATH or TIDINGS_CONFIG)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _confirm(question: str) -> bool:
    """Ask on stderr, read the answer from stdin; no answer (end of input) is no."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:  # end of input, or Ctrl-C at the prompt
        click.echo("", err=True)
        return False


def _check(text: str, path: Path, *, added: str | None = None, removed: str | None = None) -> Config:
    """The edited file must be a valid configuration with exactly that one change."""
    config = parse_config(tomllib.loads(text), path)
    names = {s.name for s in config.sources}
    if (added and added not in names) or (removed and removed in names):
        raise ConfigError(f"{path}: the edit did not come out as intended; nothing written")
    return config


def _write(path: Path, text: str) -> None:
    target = path.resolve()  # a symlinked configuration: rewrite the file it points at
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = FILE_MODE
    with atomic_write(target, "wb", file_mode=mode) as fh:
        fh.write(text.encode("utf-8"))

