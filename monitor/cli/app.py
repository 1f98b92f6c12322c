"""The `tidings` command group: expected errors become one line and an exit code.

The commands live by job in monitor.cli.crawling (run, schedule, preview),
monitor.cli.reading (status, export, feed, search, history), monitor.cli.editing
(add, remove) and monitor.cli.alerts (notify); nothing here decides what a crawl means.
"""

from __future__ import annotations

import gc

import click

from monitor import __version__
from monitor.cli.alerts import notify
from monitor.cli.crawling import preview, run, schedule
from monitor.cli.editing import add, remove
from monitor.cli.reading import export, feed, history, search, status
from monitor.errors import TidingsError


class TidingsGroup(click.Group):
    """Turns expected errors (TidingsError) into one clear line on stderr and their exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TidingsError as exc:
            click.echo(f"tidings: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("tidings: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=TidingsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tidings")
def cli() -> None:
    """Tidings watches news listing pages and reports new items."""


for _command in (run, schedule, preview, add, remove, status, export, feed, search, history, notify):
    cli.add_command(_command)


def main() -> None:
    try:
        cli(prog_name="tidings")
    finally:
        # Everything is written and closed by now.  Freezing the heap spares the
        # interpreter's exit-time garbage collection, which walked every object
        # of Scrapy, Twisted and lxml's modules: about 70 ms of CPU per run.
        gc.freeze()
