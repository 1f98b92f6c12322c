"""The `tidings` command (entry point `monitor.cli:main`): the group in monitor.cli.app,
shared options in monitor.cli.options, the commands by job in .crawling, .reading and .alerts."""

from monitor.cli.app import cli, main

__all__ = ["cli", "main"]
