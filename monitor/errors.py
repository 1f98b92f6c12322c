"""Expected failures a user can meet.

Each carries a one-line message saying what went wrong and where; the CLI
prints it without a traceback and exits with `exit_code`.
"""

from __future__ import annotations


class TidingsError(Exception):
    """Base of every expected failure."""

    exit_code = 2


class ConfigError(TidingsError):
    """The configuration file is missing, malformed or inconsistent."""


class ArchiveError(TidingsError):
    """The archive cannot be opened, read or written."""


class UsageError(TidingsError):
    """A value given on the command line is malformed (a date, a search query, a source name)."""


class OutputError(TidingsError):
    """An output file or folder (export, feed, feeds_dir) cannot be written."""


class RecordingFailed(ArchiveError):
    """The archive failed while a crawl's results were being recorded;
    `committed` holds what was recorded before (and after) the failure."""

    def __init__(self, message: str, committed: list):
        super().__init__(message)
        self.committed = committed


class RunFailed(ArchiveError):
    """A run that failed part-way; `report` says what it committed, so it can still be told."""

    def __init__(self, message: str, report: object):
        super().__init__(message)
        self.report = report
