"""Commands that crawl: `tidings run` (once), `tidings schedule` (a daemon) and `tidings preview` (one page, nothing written)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from monitor.cli.options import (
    archive_file, config_file, config_named, config_option, db_option, logging_options,
)
from monitor.config import DEFAULT_CONFIG, Source, load_config
from monitor.errors import ConfigError, RunFailed, TidingsError
from scraper.selectors import SELECTOR_KEYS


@click.command()
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

    config = load_config(config_file(config_path)).require_sources()
    wanted = config.select(source_names)  # unknown names are config errors before anything runs
    quiet = quiet or not sys.stdout.isatty()
    progress = _progress_printer(len(wanted)) if sys.stderr.isatty() and not as_json else None
    try:
        report = run_module.run(config, archive_file(db_path), source_names, on_source=progress)
    except RunFailed as exc:
        # Part-way: what was committed is reported all the same (exit code 2, the error on stderr).
        _show(exc.report, as_json, quiet)
        raise
    _show(report, as_json, quiet)
    sys.exit(report.exit_code)


def _show(report, as_json: bool, quiet: bool) -> None:
    from monitor.report import render_text
    from monitor.statuses import SKIPPED

    for skipped in (s for s in report.sources if s.status == SKIPPED):
        click.echo(f"tidings: {skipped.name}: {skipped.error}", err=True)
    if as_json:
        click.echo(report.dumps())
    elif not quiet or report.worth_telling:
        click.echo(render_text(report))


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


@click.command()
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
    import signal

    from monitor.signals import SignalLatch

    # First, before anything slow: a signal while starting is held, never fatal.
    latch = SignalLatch((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
    from monitor.daemon import Daemon

    tidings_log = logging.getLogger("tidings")
    if tidings_log.getEffectiveLevel() > logging.INFO:
        tidings_log.setLevel(logging.INFO)  # a service logs every run, not only problems
    daemon = Daemon(config_file(config_path), archive_file(db_path), workers=workers, stop_timeout=stop_timeout)
    sys.exit(daemon.serve(latch))


@click.command()
@click.argument("url", required=False)
@config_option
@db_option
@click.option("--source", "source_name", metavar="NAME", help="Preview a configured source instead of a URL.")
@click.option("--item", help="Selector of one block (CSS, or xpath:...). Omit to detect automatically.")
@click.option("--headline", help="Selector of the headline, relative to the block.")
@click.option("--summary", help="Selector of the summary paragraphs, relative to the block.")
@click.option("--link", help="Selector of the link, relative to the block.")
@click.option("--date", help="Selector of the date, relative to the block.")
@click.option("--render", type=click.Choice(["http", "browser"]),
              help="Fetch over HTTP, or render the page in a browser (Chromium) as render = \"browser\" does.")
@click.option("--wait-for", help="With --render browser: a selector to wait for before reading the page.")
@click.option("--scroll", type=int, help="With --render browser: scroll to the bottom up to N times.")
@click.option("--click", help="With --render browser: a selector to click while present (load more, consent).")
@click.option("--click-times", type=int, help="With --render browser: how many times --click is clicked at most.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of records.")
@click.option("--emit-config", is_flag=True,
              help="Print a [[source]] block for tidings.toml that pins the (inferred) selectors.")
@logging_options
def preview(url, config_path, db_path, source_name, render, as_json, emit_config, **options) -> None:
    """Fetch one page and show what would be extracted; write nothing.

    Without selector options the listing is detected automatically.  The
    page-step options (--wait-for, --scroll, --click, --click-times) are
    config keys too, for a URL rendered with --render browser.
    """
    from dataclasses import replace

    from monitor import run as run_module
    from monitor.config import BrowserSettings, CrawlSettings, parse_config
    from scraper.browser import BrowserNotFound

    if bool(url) == bool(source_name):
        raise click.UsageError("give either a URL or --source NAME")
    steps = {key: options.pop(key) for key in ("wait_for", "scroll", "click", "click_times")}
    selectors = options
    if source_name and any(value is not None for value in steps.values()):
        raise click.UsageError("the page-step options are for a URL; a --source has its own in the configuration")
    if as_json and emit_config:
        raise click.UsageError("give --json or --emit-config, not both")
    if source_name:
        config = load_config(config_file(config_path))
        source = config.source(source_name)
        if render:
            source = replace(source, render=render)
        crawl = config.crawl
    else:
        # The selector options are config keys (SELECTOR_KEYS); the table is checked like a [[source]].
        table = {"name": "preview", "url": url, **({"render": render} if render else {}),
                 **{key: selectors[key] for key in SELECTOR_KEYS if selectors.get(key) is not None},
                 **{key: value for key, value in steps.items() if value is not None}}
        if config_named(config_path):
            config = load_config(config_path)  # its errors are the user's to see
        else:
            try:  # a ./tidings.toml still being written must not stop a preview that needs none of it
                config = load_config(Path(DEFAULT_CONFIG)) if Path(DEFAULT_CONFIG).exists() else None
            except ConfigError:
                config = None
        crawl = config.crawl if config else CrawlSettings()
        source = parse_config({"source": [table]}, "command line").sources[0]
    browser = config.browser if config else BrowserSettings()
    try:
        result = run_module.preview(source, crawl, browser)
    except BrowserNotFound as exc:
        raise _PreviewFailed(str(exc)) from None
    if result.error:
        raise _PreviewFailed(result.error)
    _say_if_unsure(result.detection)
    hint = _script_built_hint(result)
    if emit_config:
        _emit_config(source, result, named=bool(source_name), hint=hint)
        return
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in result.records], ensure_ascii=False, indent=2))
        if hint:
            click.echo(f"tidings: {hint}", err=True)
        return
    _print_records(source, result.records)
    if hint:
        click.echo(hint)


class _PreviewFailed(TidingsError):
    exit_code = 1


def _say_if_unsure(detection) -> None:
    """On stderr, when automatic detection is unsure: why, in one line, and the
    runner-up listing's selectors (stdout stays the records, or the JSON)."""
    if detection is None or not detection.unsure:
        return
    from monitor.config import selectors_inline

    click.echo(f"tidings: {detection.describe()}", err=True)
    if detection.runner_up is not None:
        click.echo(f"tidings: runner-up listing: {selectors_inline(detection.runner_up)}", err=True)


def _unsure_comments(detection) -> list[str]:
    """TOML comments saying detection is unsure, with the runner-up's selectors to try instead."""
    if detection is None or not detection.unsure:
        return []
    from monitor.config import selectors_lines

    lines = [f"# {detection.describe()}"]
    if detection.runner_up is not None:
        lines.append("# runner-up listing (to use it instead, replace the selectors below with these):")
        lines.extend(f"#   {line}" for line in selectors_lines(detection.runner_up))
    return lines


def _script_built_hint(result) -> str | None:
    """What to try when the served page had no listing and looks built by its scripts."""
    if result.records or not result.script_built:
        return None
    return f"this page builds its listing with JavaScript ({result.script_built}): try --render browser"


def _emit_config(source: Source, result, named: bool, hint: str | None = None) -> None:
    """Print a [[source]] block pinning the selectors that produced the preview
    (and `render = "browser"` with its page steps, when the page was rendered)."""
    from monitor.config import BROWSER_STEP_KEYS, source_name_for, source_toml

    selectors = source.selectors or result.detected
    if selectors is None:
        raise _PreviewFailed(f"automatic detection found no listing on {source.url}" + (f"; {hint}" if hint else ""))
    name = source.name if named else source_name_for(source.url)
    count = len(result.records)
    how = "configured selectors" if source.selectors else "automatic detection"
    steps = None
    if source.browser:
        defaults = Source(name=source.name, url=source.url)
        steps = {key: getattr(source, key) for key in BROWSER_STEP_KEYS if getattr(source, key) != getattr(defaults, key)}
    click.echo(f"# {count} item{'s' if count != 1 else ''} found by {how} on {source.url}")
    if not source.selectors:
        for line in _unsure_comments(result.detection):
            click.echo(line)
    click.echo(source_toml(name, source.url, selectors, browser=steps), nl=False)


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
