"""Commands that read the archive and write nothing to it: `tidings status`, `export`, `feed`, `search` and `history`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

import click

from monitor.cli.options import (
    archive_file, config_file, config_named, config_option, db_option, limit_option, logging_options,
)
from monitor.config import load_config
from monitor.errors import OutputError, UsageError
from monitor.files import atomic_write


@click.command()
@config_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@logging_options
def status(config_path, db_path, as_json) -> None:
    """Show each source's last run, next run, items and pending alerts."""
    from datetime import datetime, timezone

    from monitor.archive import Archive
    from monitor.archive.queries import reading
    from monitor.status import delivery_statuses, render_status, source_statuses, status_json

    config = load_config(config_file(config_path))
    now = datetime.now(timezone.utc)
    db = archive_file(db_path)
    if not db.exists():  # before the first run: every source is simply due
        click.echo(f"tidings: no archive at {db} yet: no source has run", err=True)
        statuses, deliveries = source_statuses(config, None, now), []
    else:
        with Archive(db, readonly=True) as archive, reading(archive):
            statuses = source_statuses(config, archive, now)
            deliveries = delivery_statuses(archive, config=config)
    click.echo(status_json(statuses, now, config, deliveries) if as_json else render_status(statuses, config, deliveries))


def _check_config(config_path: Path | None) -> None:
    """These commands read only the archive; a configuration named explicitly is still validated."""
    if config_named(config_path):
        load_config(config_path)


@contextlib.contextmanager
def _output(path: Path | None, mode: str = "w"):
    """The file to write: -o FILE (replaced only when complete) or stdout (UTF-8)."""
    if path is not None and str(path) != "-":
        with atomic_write(path, mode, newline="" if mode == "w" else None) as fh:
            yield fh
        return
    stdout = click.get_binary_stream("stdout")
    try:
        if mode == "wb":
            yield stdout
            stdout.flush()
            return
        text = io.TextIOWrapper(stdout, encoding="utf-8", newline="")
        try:
            yield text
            text.flush()
        finally:
            text.detach()
    except BrokenPipeError:  # `tidings export | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        sys.exit(141)
    except OSError as exc:  # `tidings export > file` on a full disk
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())  # nothing left to flush at exit
        raise OutputError(f"standard output: cannot write: {exc.strerror or exc}") from None


@click.command()
@config_option
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson"]), default=None,
              help="Output format (default: from -o FILE's extension, else csv).")
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--since", metavar="DATE", help="Items first seen on or after DATE (YYYY-MM-DD or ISO date-time, UTC).")
@click.option("--until", metavar="DATE", help="Items first seen on or before DATE (a date includes the whole day).")
@click.option("--search", "query", metavar="QUERY", help="Only items matching this full-text query (SQLite FTS5).")
@click.option("--versions", is_flag=True, help="One row per version of each item instead of one per item.")
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 byte-order mark (for older Excel).")
@click.option("--raw-csv", is_flag=True,
              help="CSV: keep cells starting with = + - @ tab or CR as they are (default: prefixed with ').")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (replaced only when complete) instead of stdout.")
@logging_options
def export(config_path, db_path, fmt, source_names, since, until, query, versions, bom, raw_csv, output) -> None:
    """Export archived items (or every version of them), streaming."""
    from monitor.archive import Archive
    from monitor.export import export as export_rows
    from monitor.archive.queries import Selection, parse_when

    _check_config(config_path)
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in ("csv", "json", "ndjson") else "csv"
    if bom and fmt != "csv":
        raise UsageError("--bom applies to --format csv only")
    if raw_csv and fmt != "csv":
        raise UsageError("--raw-csv applies to --format csv only")
    selection = Selection(
        sources=tuple(source_names),
        since=parse_when(since, "--since") if since else None,
        until=parse_when(until, "--until", end_of_day=True) if until else None,
        search=query,
    )
    with Archive(archive_file(db_path), readonly=True) as archive, _output(output) as out:
        export_rows(archive, out, fmt, selection, versions=versions, bom=bom, raw_csv=raw_csv)


@click.command()
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["atom", "rss"]), default=None,
              help="Feed format (default: rss for -o FILE.rss, else atom).")
@limit_option(50, "Newest N items")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (replaced only when complete) instead of stdout.")
@logging_options
def feed(config_path, db_path, source_names, fmt, limit, output) -> None:
    """Print an Atom or RSS feed of the newest archived items."""
    from monitor.archive import Archive
    from monitor.feeds import feed_for

    _check_config(config_path)
    if fmt is None:
        fmt = "rss" if output is not None and output.suffix.lower() == ".rss" else "atom"
    with Archive(archive_file(db_path), readonly=True) as archive:
        document = feed_for(archive, fmt, list(dict.fromkeys(source_names)), limit)
    with _output(output, "wb") as out:
        out.write(document)


@click.command()
@click.argument("query")
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@limit_option(20, "At most N results")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of matching items.")
@logging_options
def search(query, config_path, db_path, source_names, limit, as_json) -> None:
    """Full-text search of the archive (SQLite FTS5 syntax: words, "phrases", AND/OR/NOT, prefix*)."""
    from monitor.archive import Archive
    from monitor.archive.queries import search as search_items

    _check_config(config_path)
    with Archive(archive_file(db_path), readonly=True) as archive:
        results = search_items(archive, query, source_names, limit)
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    if not results:
        click.echo(f"no items match {query!r}", err=True)
        return
    width = max(len(item["source"]) for item in results)  # one column per field, whatever the names
    for item in results:
        day = (item["published"] or item["first_seen"])[:10]
        click.echo(f"{day:<10}  {item['source']:<{width}}  {item['headline']}")
        click.echo(f"{'':<10}  {'':<{width}}  {item['url'] or '(no link)'}")


@click.command()
@click.argument("item")
@config_option
@db_option
@click.option("--source", "source_name", metavar="NAME", help="The source, when ITEM is a URL several sources list.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with every version.")
@logging_options
def history(item, config_path, db_path, source_name, as_json) -> None:
    """Show every archived version of ITEM (an item id or its URL), each diffed against the one before."""
    from monitor.archive import Archive
    from monitor.archive.history import item_history
    from monitor.history import history_json, render_history

    zone = _display_zone(config_path)
    with Archive(archive_file(db_path), readonly=True) as archive:
        found = item_history(archive, item, source_name)
    if as_json:
        click.echo(json.dumps(history_json(found), ensure_ascii=False, indent=2))
        return
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    click.echo(render_history(found, zone, color=color))


def _display_zone(config_path: Path | None):
    """[defaults] timezone of the configuration (named, else ./tidings.toml if there is one), else UTC.

    A named configuration must be valid; a default one that is not is ignored:
    reading the archive needs nothing from it.
    """
    from datetime import timezone

    from monitor.errors import ConfigError

    if config_named(config_path):
        return load_config(config_path).tzinfo
    path = config_file(None)
    if not path.exists():
        return timezone.utc
    try:
        return load_config(path).tzinfo
    except ConfigError:
        return timezone.utc
