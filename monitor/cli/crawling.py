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
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something is new or wrong; no progress line.")
@logging_options
def run(config_path, db_path, source_names, as_json, quiet) -> None:
    """Crawl every (or the named) source, archive, and report what is new.

    Exit code 0: every source ok or baseline; 1: a source failed, is
    suspect or was skipped (another process was crawling it); 2: usage,
    configuration or archive error; 130: interrupted (Ctrl-C, SIGTERM).
    """
    from monitor import run as run_module
    from monitor.workers import StopSignals

    config = load_config(config_file(config_path)).require_sources()
    wanted = config.select(source_names)  # unknown names are config errors before anything runs
    verbose = logging.getLogger().getEffectiveLevel() <= logging.INFO  # -v: log lines, one per page, instead
    show_progress = sys.stderr.isatty() and not (as_json or quiet or verbose)
    progress = Progress(len(wanted)) if show_progress else None
    quiet = quiet or not sys.stdout.isatty()
    interrupts = StopSignals(first=lambda: _say(STOPPING), again=lambda: _say(STOPPING_NOW))
    try:
        try:
            report = run_module.run(config, archive_file(db_path), source_names, on_source=progress,
                                    interrupts=interrupts)
        finally:
            if progress:
                progress.clear()
    except RunFailed as exc:
        # Part-way: what was committed is reported all the same (exit code 2, the error on stderr).
        _show(exc.report, as_json, quiet)
        raise
    _show(report, as_json, quiet)
    sys.exit(report.exit_code)


def _show(report, as_json: bool, quiet: bool) -> None:
    """The report, and on stderr what was skipped or interrupted: for a finished run and a part-way one alike."""
    from monitor import run as run_module
    from monitor.report import render_text
    from monitor.statuses import SKIPPED

    unfinished = [s for s in report.sources if s.error == run_module.INTERRUPTED_REASON]
    for source in (s for s in report.sources if s.status == SKIPPED and s not in unfinished):
        click.echo(f"tidings: {source.name}: {source.error}", err=True)
    if report.interrupted:
        count = len(unfinished)
        click.echo(f"tidings: interrupted; {count} source{'s' if count != 1 else ''} not crawled", err=True)
    if as_json:
        click.echo(report.dumps())
    elif not quiet or report.worth_telling:
        click.echo(render_text(report, color=_colour(sys.stdout)))


def _colour(stream) -> bool:
    """Colour for a terminal, unless NO_COLOR (https://no-color.org) is set; plain marks for pipes and files."""
    import os

    return stream.isatty() and not os.environ.get("NO_COLOR")


STOPPING = "tidings: stopping after the current pages (Ctrl-C again to stop now)"
STOPPING_NOW = "tidings: stopping now"


def _say(line: str) -> None:
    """One line on stderr from a signal handler: a plain write (no buffered stream,
    which the interrupted code may be writing to), starting on a fresh line."""
    import os

    os.write(2, f"\r\x1b[K{line}\n".encode() if sys.stderr.isatty() else f"\n{line}\n".encode())


class Progress:
    """`[3/12] name status` on one line of the terminal (stderr), rewritten as
    each source is recorded and erased before the report is printed."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.shown = False

    def __call__(self, report) -> None:
        self.done += 1
        if self.total < 2:
            return
        line = f"[{self.done}/{self.total}] {getattr(report, 'name', '')} {getattr(report, 'status', '')}"
        click.echo(f"\r\x1b[K{line}", err=True, nl=False)
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", err=True, nl=False)
            self.shown = False


@click.command()
@config_option
@db_option
@click.option("--workers", type=click.IntRange(1), default=4, show_default=True,
              help="Batches that may be crawled at the same time (each by its own child process).")
@click.option("--max-batch", type=click.IntRange(1), default=100, show_default=True,
              help="Most sources one child crawls together.")
@click.option("--stop-timeout", type=click.FloatRange(0), default=5.0, show_default=True,
              help="Seconds a running crawl may take to finish after SIGTERM/SIGINT before it is killed.")
@logging_options
def schedule(config_path, db_path, workers, max_batch, stop_timeout) -> None:
    """Run as a daemon: crawl each source on its `schedule`, until SIGTERM.

    Sources that fall due together are crawled by one child process.
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
    daemon = Daemon(config_file(config_path), archive_file(db_path), workers=workers, max_batch=max_batch,
                    stop_timeout=stop_timeout)
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
        raise PreviewFailed(str(exc)) from None
    if result.error:
        raise PreviewFailed(result.error)
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
    print_records(source, result.records)
    if hint:
        click.echo(hint)


class PreviewFailed(TidingsError):
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
        raise PreviewFailed(f"automatic detection found no listing on {source.url}" + (f"; {hint}" if hint else ""))
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


def print_records(source: Source, records) -> None:
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
