"""The alerts command: `tidings notify` (a test message per notifier, or the outbox sent now)."""

from __future__ import annotations

import sys

import click

from monitor.cli.options import archive_file, config_file, config_option, db_option, logging_options
from monitor.config import load_config


@click.command()
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
    from monitor.archive import Archive
    from monitor.notify.outbox import deliver_pending, send_test

    config = load_config(config_file(config_path))
    if test:
        failed = 0
        for notifier, error in send_test(config, name):
            if error is None:
                click.echo(f"{notifier.name} ({notifier.type}): ok")
            else:
                failed += 1
                click.echo(f"{notifier.name} ({notifier.type}): failed: {error}")
        sys.exit(1 if failed else 0)
    if name:
        raise click.UsageError("NAME is only used with --test")
    config.notifiers()
    from monitor.signals import stop_requested

    with Archive(archive_file(db_path)) as archive, stop_requested() as stop:
        stats = deliver_pending(archive, config, due_only=False, stop=stop)
    click.echo(f"{stats.sent} sent, {stats.failed} still pending, {stats.dead} given up")
    for notifier, error in stats.errors.items():
        click.echo(f"{notifier}: {error}")
    sys.exit(1 if stats.failed or stats.dead else 0)
