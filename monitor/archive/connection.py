"""An open archive file: the SQLite connection, its settings, transactions and errors.

Every write of one source's crawl happens inside one `transaction()`, taken
with BEGIN IMMEDIATE so that concurrent `tidings run` processes queue for the
write lock instead of failing with "database is locked" when a read turns
into a write.  Every SQLite error that reaches a user is one line naming the
file, chosen by SQLite's own result code (`sqlite_errorname`), not by the
wording of its message.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Iterator, Self
from urllib.parse import quote

from monitor.errors import ArchiveError

BUSY_TIMEOUT_SECONDS = 60
"""How long a process waits for another's write lock before giving up."""

APPLICATION_ID = int.from_bytes(b"TDNG", "big")
"""`PRAGMA application_id` of a Tidings archive (set by migration 10): the mark
that tells Tidings' own files from other applications' SQLite databases."""

# What a Tidings archive from before the mark holds, to be recognised by.
_OWN_TABLES = {"meta", "sources", "crawls", "items"}

# What a user should be told for each primary SQLite result code (the
# extended codes, e.g. SQLITE_IOERR_WRITE, fall under their primary one).
_ADVICE = {
    "SQLITE_NOTADB": lambda text: "not a SQLite database (is --db pointing at the right file?)",
    "SQLITE_CORRUPT": lambda text: (
        f"the archive file is damaged ({text}): restore a backup, or try `sqlite3 FILE .recover`"
    ),
    "SQLITE_IOERR": lambda text: f"cannot write ({text}: is the disk full?)",
    "SQLITE_FULL": lambda text: f"cannot write ({text}: is the disk full?)",
    "SQLITE_CANTOPEN": lambda text: "cannot open the database file (does the folder exist and is it writable?)",
    "SQLITE_READONLY": lambda text: "the database file is read-only",
    "SQLITE_BUSY": lambda text: (
        f"database is locked: another process held it longer than {BUSY_TIMEOUT_SECONDS} s"
    ),
}


def describe(exc: sqlite3.Error) -> str:
    """What went wrong, for a person: advice by SQLite's result code, else SQLite's own words."""
    name = getattr(exc, "sqlite_errorname", None)  # None when Python, not SQLite, raised it
    primary = "_".join(name.split("_", 2)[:2]) if name else None
    advice = _ADVICE.get(primary)
    return advice(str(exc)) if advice else str(exc)


_DAMAGE = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
"""Result codes that mean the file itself is damaged, whichever read or write meets it."""


def _damaged(exc: sqlite3.DatabaseError, path: Path) -> Exception:
    """A damage error as the one line a user sees; any other error as it was."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name.startswith(_DAMAGE):
        return ArchiveError(f"{path}: {describe(exc)}")
    return exc


class _GuardedCursor(sqlite3.Cursor):
    """A cursor whose every step turns damage into an ArchiveError naming the file.

    A damaged page is met by whichever query first reads it, anywhere in
    the code (a read before any transaction, a row fetched mid-export), so
    the guard is here and not at each call site.
    """

    def execute(self, sql, parameters=()):
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self.connection.path) from None

    def executemany(self, sql, seq):
        try:
            return super().executemany(sql, seq)
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self.connection.path) from None

    def fetchone(self):
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self.connection.path) from None

    def fetchmany(self, size=None):
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self.connection.path) from None

    def fetchall(self):
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self.connection.path) from None

    def __next__(self):
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self.connection.path) from None


class _GuardedConnection(sqlite3.Connection):
    """sqlite3.Connection whose cursors (those of `execute` too) are guarded."""

    path: Path = Path("archive")

    def cursor(self, factory=_GuardedCursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=()):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq):
        return self.cursor().executemany(sql, seq)


class Connection:
    """An open archive file, not yet known to be up to date (see `monitor.archive.Archive`).

    Opening sets the pragmas every process must agree on and refuses a file
    that is another application's database before changing anything in it.
    Use as a context manager to close it.
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if self.path.is_dir():  # $TIDINGS_DB is not checked by the CLI's --db option
            raise ArchiveError(f"{self.path}: is a directory, not an archive file (pass --db FILE)")
        try:
            self.conn = self._connect()
        except OSError as exc:
            raise ArchiveError(f"{self.path}: cannot create the archive: {exc.strerror or exc}") from None
        with self.failing_closed():
            self._configure()

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                if not self.path.exists():
                    raise ArchiveError(f"{self.path}: archive not found (run `tidings run` first, or pass --db PATH)")
                return self._connect_readonly()
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._guarded(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, factory=_GuardedConnection))
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    def _connect_readonly(self) -> sqlite3.Connection:
        """Open for reading only; on a read-only file system, as immutable.

        A WAL archive is read through its -shm file, which SQLite cannot
        create where nothing may be written (a read-only mount, a snapshot).
        Nothing can be writing to it there, so it is read as immutable:
        unless a -wal file still holds writes, which immutable reading would
        miss (then one line says so).
        """
        uri = "file:" + quote(str(self.path.absolute()))  # '?', '#', '%' in a path are not URI syntax
        conn = self._guarded(sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS,
                                             factory=_GuardedConnection))
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except (sqlite3.Error, ArchiveError) as exc:  # ArchiveError: the guard found damage
            conn.close()
            name = getattr(exc, "sqlite_errorname", None) or ""
            if not name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")):
                raise
        wal = Path(f"{self.path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise ArchiveError(
                f"{self.path}: cannot be read in place: the file system is read-only and {wal.name} still holds "
                "writes; copy the archive and its -wal file somewhere writable"
            )
        return self._guarded(sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=BUSY_TIMEOUT_SECONDS,
                                             factory=_GuardedConnection))

    def _guarded(self, conn: _GuardedConnection) -> _GuardedConnection:
        conn.path = self.path
        return conn

    def _configure(self) -> None:
        # As sqlite-utils sets it: the full-text triggers it wrote in migration 1 rely on it.
        self.conn.execute("PRAGMA recursive_triggers = ON")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self._refuse_foreign_database()
        if not self.readonly:
            journal = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = NORMAL")
            if journal.lower() != "wal":
                self.conn.execute("PRAGMA synchronous = FULL")

    def _refuse_foreign_database(self) -> None:
        """Never touch another application's database (not even its journal mode).

        A file is Tidings' own when it carries Tidings' application_id, or is
        empty, or (archives from before the mark) has Tidings' tables and a
        `meta` table holding Tidings' schema rows.  Only reads happen here.
        """
        mark = self.conn.execute("PRAGMA application_id").fetchone()[0]
        if mark == APPLICATION_ID:
            return
        tables = [n for (n,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        if mark == 0 and (not tables or (_OWN_TABLES <= set(tables) and self._has_tidings_meta())):
            return
        if tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            what = f"a SQLite database of something else (tables: {shown})"
        else:
            what = "a SQLite database of something else"
        if mark:
            what += f" marked by another application (application_id {mark:#010x})"
        raise ArchiveError(f"{self.path}: {what}, not a Tidings archive; left untouched (pass --db with a new file)")

    def _has_tidings_meta(self) -> bool:
        """Whether `meta` holds the rows Tidings' migrations write there."""
        try:
            return self.conn.execute(
                "SELECT 1 FROM meta WHERE key = 'migration:1'"
                " OR (key = 'schema_version' AND CAST(value AS INTEGER) BETWEEN 1 AND 7) LIMIT 1"
            ).fetchone() is not None
        except sqlite3.Error:  # no key/value columns: someone else's meta table
            return False

    def error(self, exc: sqlite3.Error) -> ArchiveError:
        """An SQLite error as the one-line error a user sees, naming this file."""
        return ArchiveError(f"{self.path}: {describe(exc)}")

    @contextlib.contextmanager
    def failing_closed(self) -> Iterator[None]:
        """Opening steps: on any failure the connection is closed and SQLite errors become ArchiveErrors."""
        try:
            yield
        except BaseException as exc:
            self.conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self.error(exc) from None
            if isinstance(exc, OSError):
                raise ArchiveError(f"{self.path}: cannot create the archive: {exc.strerror or exc}") from None
            raise

    def has_table(self, name: str) -> bool:
        """Whether the table exists (an archive opened read-only is not migrated)."""
        return self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone() is not None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Self]:
        """One atomic unit of writes; rolled back whole on any error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        try:
            yield self
        except sqlite3.Error as exc:  # a full disk or a read-only file meets us mid-transaction
            self.conn.rollback()
            raise self.error(exc) from None
        except BaseException:
            self.conn.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.rollback()
            raise self.error(exc) from None
