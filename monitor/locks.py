"""One lock per source, shared by every process that uses the same archive.

`tidings run` from cron and the `tidings schedule` daemon's crawls take the
source's lock before crawling it, so one source is never crawled by two
processes at once.  The locks are `flock` locks on files next to the archive
(`<db>.locks/<source>.lock`): the kernel releases them when the holder exits
or is killed, so a crashed crawl never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Iterable, TypeVar

from monitor.errors import ArchiveError

POLL_SECONDS = 0.2

T = TypeVar("T")


class SourceLocks:
    """The source locks this process holds; released on exit of the `with`."""

    def __init__(self, db_path: str | os.PathLike):
        self.dir = Path(f"{db_path}.locks")
        self._held: dict[str, int] = {}

    def __enter__(self) -> "SourceLocks":
        return self

    def __exit__(self, *exc) -> None:
        self.release_all()

    def acquire(self, sources: Iterable[T], wait: float) -> tuple[list[T], list[T]]:
        """Lock each source (anything with a `.name`), waiting up to `wait`
        seconds for those another process holds.  Returns (locked, busy)."""
        sources = list(sources)
        busy = [s for s in sources if not self._try(s.name)]
        deadline = time.monotonic() + wait
        while busy and time.monotonic() < deadline:
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            busy = [s for s in busy if not self._try(s.name)]
        return [s for s in sources if s not in busy], busy

    def _try(self, name: str) -> bool:
        if name in self._held:
            return True
        path = self.dir / f"{name}.lock"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot create the source's lock file: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError as exc:
            os.close(fd)
            raise ArchiveError(f"{path}: cannot lock: {exc.strerror or exc}") from None
        self._held[name] = fd
        return True

    def release_all(self) -> None:
        for fd in self._held.values():
            os.close(fd)  # closing the descriptor releases the flock
        self._held.clear()
