"""`tidings follow`: backfill the articles of items archived already (monitor.follow)."""

from __future__ import annotations

import sys

import click

from monitor.cli.options import archive_file, config_file, config_option, db_option, logging_options
from monitor.config import load_config


@click.command()
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME",
              help="Only this source (repeatable); default: every source with follow = true.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Fetch at most N articles this time, oldest first (the rest stay queued).")
@click.option("--retry-failed", is_flag=True,
              help="Also retry items whose article failed follow_retries times and was given up.")
@logging_options
def follow(config_path, db_path, source_names, limit, retry_failed) -> None:
    """Fetch the articles of archived items that have none yet.

    Safe to interrupt (Ctrl-C): every article is recorded as it arrives, and
    the next `tidings follow` goes on with the rest.  Exit code 0 (failed
    articles are recorded with their reason, not errors); 2: usage,
    configuration or archive error.
    """
    from monitor.follow import backfill, following_sources

    config = load_config(config_file(config_path))
    sources = following_sources(config, source_names)
    show = sys.stderr.isatty()
    total, done = [0], [0]

    def on_total(count: int) -> None:
        total[0] = count

    def on_article(fetch) -> None:
        done[0] += 1
        if show:
            outcome = "failed" if fetch.error else "ok"
            click.echo(f"\r[{done[0]}/{total[0]}] {outcome} {fetch.requested_url}"[:100].ljust(100), err=True,
                       nl=done[0] == total[0])

    report = backfill(config, archive_file(db_path), sources, limit=limit, retry_failed=retry_failed,
                      on_total=on_total, on_article=on_article)
    for name in report.skipped:
        click.echo(f"tidings: {name}: another process is crawling this source; skipped", err=True)
    click.echo(f"{report.fetched} articles fetched, {report.failed} failed, {report.left} still queued"
               f" ({report.queued} newly queued)")
