"""The SQLite archive: the only package that writes SQL.

    connection.py  opening a file (pragmas, busy timeout, read-only), transactions,
                   SQLite errors as one-line messages
    schema.py      the migrations, and bringing a file up to date
    crawls.py      a source's crawls: what the diff needs, a crawl's writes
    outbox.py      the alert outbox's store (deliveries)
    overview.py    reads for `tidings status` and the daemon
    queries.py     reads for researchers: export, search, feeds
    history.py     one item's versions (`tidings history`)

`Archive` is an open, up-to-date archive; its stores are `archive.crawls` and
`archive.outbox`, and the read-only queries are functions taking it.
"""

from __future__ import annotations

import os

from monitor.archive import schema
from monitor.archive.connection import BUSY_TIMEOUT_SECONDS, Connection
from monitor.archive.crawls import CrawlStore, HealthFacts, KnownItem, SourceState
from monitor.archive.outbox import Delivery, Outbox
from monitor.archive.overview import SourceOverview
from monitor.archive.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "Archive", "BUSY_TIMEOUT_SECONDS", "Delivery", "HealthFacts", "KnownItem", "MIGRATIONS", "SCHEMA_VERSION",
    "SourceOverview", "SourceState",
]


class Archive(Connection):
    """An open archive, migrated to this Tidings' schema unless opened read-only.

    Use as a context manager to close it.
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        super().__init__(path, readonly=readonly)
        if not readonly:
            with self.failing_closed():
                schema.migrate(self)
        self.crawls = CrawlStore(self)
        self.outbox = Outbox(self)

    def applied_migrations(self) -> set[int]:
        """The numbers of the migrations this archive has had."""
        return schema.applied_migrations(self)

    def schema_version(self) -> int:
        """The highest migration applied (0 for a new, empty file)."""
        return schema.schema_version(self)
