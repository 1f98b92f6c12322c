"""The `tidings` command: wires config, run, archive and output together.

Expected failures (TidingsError) become one line on stderr and their exit
code; nothing here decides what a crawl means.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import logging
import os
import sys
from pathlib import Path

import click

from monitor import __version__
from monitor.config import DEFAULT_CONFIG, Source, load_config, resolve_db_path
from monitor.errors import ConfigError, TidingsError, UsageError
from monitor.files import atomic_write


class TidingsGroup(click.Group):
    """Turns expected errors into one clear line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TidingsError as exc:
            click.echo(f"tidings: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("tidings: interrupted", err=True)
            ctx.exit(130)


def config_option(f):
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="Configuration file (default: $TIDINGS_CONFIG, else ./tidings.toml).",
    )(f)


def db_option(f):
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="Archive database (default: $TIDINGS_DB, else data/tidings.db).",
    )(f)


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


@click.group(cls=TidingsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tidings")
def cli() -> None:
    """Tidings watches news listing pages and reports new items."""


@cli.command()
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Crawl only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something is new or wrong.")
@logging_options
def run(config_path, db_path, source_names, as_json, quiet) -> None:
    """Crawl every (or the named) source, archive, and report what is new.

    Exit code 0: every source ok or baseline; 1: a source failed or is
    suspect; 2: usage, configuration or archive error.
    """
    from monitor import run as run_module
    from monitor.report import render_text
    from monitor.statuses import SKIPPED

    config = load_config(config_path).require_sources()
    wanted = config.select(source_names)  # unknown names are config errors before anything runs
    quiet = quiet or not sys.stdout.isatty()
    progress = _progress_printer(len(wanted)) if sys.stderr.isatty() and not as_json else None
    report = run_module.run(config, resolve_db_path(db_path), source_names, on_source=progress)
    for skipped in (s for s in report.sources if s.status == SKIPPED):
        click.echo(f"tidings: {skipped.name}: {skipped.error}", err=True)
    if as_json:
        click.echo(report.dumps())
    elif not quiet or report.worth_telling:
        click.echo(render_text(report))
    sys.exit(report.exit_code)


@cli.command()
@config_option
@db_option
@click.option("--workers", type=click.IntRange(1), default=4, show_default=True,
              help="Crawls that may run at the same time (each in its own process).")
@click.option("--stop-timeout", type=click.FloatRange(0), default=5.0, show_default=True,
              help="Seconds a running crawl may take to finish after SIGTERM/SIGINT before it is killed.")
@logging_options
def schedule(config_path, db_path, workers, stop_timeout) -> None:
    """Run as a daemon: crawl each source on its `schedule`, until SIGTERM.

    SIGHUP reloads the configuration.  Logs one line per run per source.
    """
    from monitor.config import resolve_config_path
    from monitor.daemon import Daemon

    tidings_log = logging.getLogger("tidings")
    if tidings_log.getEffectiveLevel() > logging.INFO:
        tidings_log.setLevel(logging.INFO)  # a service logs every run, not only problems
    daemon = Daemon(resolve_config_path(config_path), resolve_db_path(db_path), workers=workers,
                    stop_timeout=stop_timeout)
    sys.exit(daemon.serve())


@cli.command()
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

    config = load_config(config_path)
    now = datetime.now(timezone.utc)
    db = resolve_db_path(db_path)
    if not db.exists():  # before the first run: every source is simply due
        click.echo(f"tidings: no archive at {db} yet: no source has run", err=True)
        statuses, deliveries = source_statuses(config, None, now), []
    else:
        with Archive(db, readonly=True) as archive, reading(archive):
            statuses = source_statuses(config, archive, now)
            deliveries = delivery_statuses(archive)
    click.echo(status_json(statuses, now, config, deliveries) if as_json else render_status(statuses, config, deliveries))


def _progress_printer(total: int):
    if total < 2:
        return None
    done = [0]

    def show(item) -> None:
        done[0] += 1
        name = getattr(item, "name", "")
        status = getattr(item, "status", "")
        click.echo(f"\r[{done[0]}/{total}] {name} {status}".ljust(60), err=True, nl=done[0] == total)

    return show


@cli.command()
@click.argument("url", required=False)
@config_option
@db_option
@click.option("--source", "source_name", metavar="NAME", help="Preview a configured source instead of a URL.")
@click.option("--item", help="Selector of one block (CSS, or xpath:...). Omit to detect automatically.")
@click.option("--headline", help="Selector of the headline, relative to the block.")
@click.option("--summary", help="Selector of the summary paragraphs, relative to the block.")
@click.option("--link", help="Selector of the link, relative to the block.")
@click.option("--date", help="Selector of the date, relative to the block.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of records.")
@click.option("--emit-config", is_flag=True,
              help="Print a [[source]] block for tidings.toml that pins the (inferred) selectors.")
@logging_options
def preview(url, config_path, db_path, source_name, item, headline, summary, link, date, as_json, emit_config) -> None:
    """Fetch one page and show what would be extracted; write nothing.

    Without selector options the listing is detected automatically.
    """
    from monitor import run as run_module
    from monitor.config import CrawlSettings, parse_config

    if bool(url) == bool(source_name):
        raise click.UsageError("give either a URL or --source NAME")
    if as_json and emit_config:
        raise click.UsageError("give --json or --emit-config, not both")
    if source_name:
        config = load_config(config_path)
        source = config.source(source_name)
        crawl = config.crawl
    else:
        table = {"name": "preview", "url": url}
        for key, value in (("item", item), ("headline", headline), ("summary", summary), ("link", link), ("date", date)):
            if value is not None:
                table[key] = value
        if _config_named(config_path):
            config = load_config(config_path)  # its errors are the user's to see
        else:
            try:  # a ./tidings.toml still being written must not stop a preview that needs none of it
                config = load_config(None) if Path(DEFAULT_CONFIG).exists() else None
            except ConfigError:
                config = None
        crawl = config.crawl if config else CrawlSettings()
        source = parse_config({"source": [table]}, "command line").sources[0]
    result = run_module.preview(source, crawl)
    if result.error:
        raise _PreviewFailed(result.error)
    if emit_config:
        _emit_config(source, result, named=bool(source_name))
        return
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in result.records], ensure_ascii=False, indent=2))
        return
    _print_records(source, result.records)


@cli.command()
@click.argument("name", required=False)
@click.option("--test", "test", is_flag=True, help="Send a test message through each (or the named) notifier.")
@config_option
@db_option
@logging_options
def notify(name, test, config_path, db_path) -> None:
    """Send a test message (--test), or send pending alerts now.

    With --test, prints per notifier "ok" or the exact error; exit code 1 if
    any failed.  Without it, delivers every pending alert in the archive's
    outbox whatever its backoff (exit code 1 if some could not be delivered).
    """
    from monitor import notify as notify_module
    from monitor.archive import Archive

    config = load_config(config_path)
    if test:
        failed = 0
        for notifier, error in notify_module.send_test(config, name):
            if error is None:
                click.echo(f"{notifier.name} ({notifier.type}): ok")
            else:
                failed += 1
                click.echo(f"{notifier.name} ({notifier.type}): failed: {error}")
        sys.exit(1 if failed else 0)
    if name:
        raise click.UsageError("NAME is only used with --test")
    config.notifiers()
    with Archive(resolve_db_path(db_path)) as archive:
        stats = notify_module.deliver_pending(archive, config, due_only=False)
    click.echo(f"{stats.sent} sent, {stats.failed} still pending, {stats.dead} given up")
    for notifier, error in stats.errors.items():
        click.echo(f"{notifier}: {error}")
    sys.exit(1 if stats.failed or stats.dead else 0)


class _PreviewFailed(TidingsError):
    exit_code = 1


def _emit_config(source: Source, result, named: bool) -> None:
    """Print a [[source]] block pinning the selectors that produced the preview."""
    from monitor.config import source_name_for, source_toml

    selectors = source.selectors or result.detected
    if selectors is None:
        raise _PreviewFailed(f"automatic detection found no listing on {source.url}")
    name = source.name if named else source_name_for(source.url)
    count = len(result.records)
    how = "configured selectors" if source.selectors else "automatic detection"
    click.echo(f"# {count} item{'s' if count != 1 else ''} found by {how} on {source.url}")
    click.echo(source_toml(name, source.url, selectors), nl=False)


def _print_records(source: Source, records) -> None:
    click.echo(f"{len(records)} item{'s' if len(records) != 1 else ''} on {source.url}")
    for record in records:
        click.echo("")
        click.echo(f"{record.position + 1}. {record.headline}")
        if record.url:
            click.echo(f"   {record.url}")
        if record.published:
            click.echo(f"   published {record.published}")
        for paragraph in record.summary.split("\n\n") if record.summary else ():
            click.echo(f"   {paragraph}")


# --- the researchers' archive: export, feed, search --------------------------------

def _config_named(config_path: Path | None) -> bool:
    """Whether the user named a configuration (--config or $TIDINGS_CONFIG), rather than the default applying."""
    return config_path is not None or bool(os.environ.get("TIDINGS_CONFIG"))


def _check_config(config_path: Path | None) -> None:
    """These commands read only the archive; a configuration named explicitly is still validated."""
    if _config_named(config_path):
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


@cli.command()
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
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (replaced only when complete) instead of stdout.")
@logging_options
def export(config_path, db_path, fmt, source_names, since, until, query, versions, bom, output) -> None:
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
    selection = Selection(
        sources=tuple(source_names),
        since=parse_when(since, "--since") if since else None,
        until=parse_when(until, "--until", end_of_day=True) if until else None,
        search=query,
    )
    with Archive(resolve_db_path(db_path), readonly=True) as archive, _output(output) as out:
        export_rows(archive, out, fmt, selection, versions=versions, bom=bom)


@cli.command()
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["atom", "rss"]), default=None,
              help="Feed format (default: rss for -o FILE.rss, else atom).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Newest N items.")
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
    with Archive(resolve_db_path(db_path), readonly=True) as archive:
        document = feed_for(archive, fmt, list(dict.fromkeys(source_names)), limit)
    with _output(output, "wb") as out:
        out.write(document)


@cli.command()
@click.argument("query")
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N results.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of matching items.")
@logging_options
def search(query, config_path, db_path, source_names, limit, as_json) -> None:
    """Full-text search of the archive (SQLite FTS5 syntax: words, "phrases", AND/OR/NOT, prefix*)."""
    from monitor.archive import Archive
    from monitor.archive.queries import search as search_items

    _check_config(config_path)
    with Archive(resolve_db_path(db_path), readonly=True) as archive:
        results = search_items(archive, query, source_names, limit)
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    if not results:
        click.echo(f"no items match {query!r}", err=True)
        return
    for item in results:
        day = (item["published"] or item["first_seen"])[:10]
        click.echo(f"{day}  {item['source']}  {item['headline']}")
        click.echo(f"{'':10}  {item['url'] or '(no link)'}")


def main() -> None:
    try:
        cli(prog_name="tidings")
    finally:
        # Everything is written and closed by now.  Freezing the heap spares the
        # interpreter's exit-time garbage collection, which walked every object
        # of Scrapy, Twisted and lxml's modules: about 70 ms of CPU per run.
        gc.freeze()


if __name__ == "__main__":
    main()
