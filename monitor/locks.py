"""One lock per source, shared by every process that uses the same archive.

`tidings run` from cron and the `tidings schedule` daemon's crawls take the
source's lock before crawling it, so one source is never crawled by two
processes at once.  The locks are `flock` locks on files next to the archive
(`<db>.locks/<source>.lock`): the kernel releases them when the holder exits
or is killed, so a crashed crawl never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import re
import uuid
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
        seconds in all for those another process holds.  Returns (locked, busy).

        Locks are taken one by one in one global order (by name), each waited
        for before the next is tried: two runs never each hold part of the
        other's sources while waiting for the rest (hold and wait), so of
        overlapping runs one always gets every lock and the others wait only
        while sources are really being crawled.
        """
        sources = list(sources)
        deadline = time.monotonic() + wait
        busy = []
        for source in sorted(sources, key=lambda s: s.name):
            if not self._take(source.name, deadline):
                busy.append(source)
        return [s for s in sources if s not in busy], [s for s in sources if s in busy]

    def _take(self, name: str, deadline: float) -> bool:
        """Lock one source, waiting until `deadline` while another process holds it."""
        if name in self._held:
            return True
        path = self.dir / f"{name}.lock"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot create the source's lock file: {exc.strerror or exc}") from None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    os.close(fd)
                    return False
                time.sleep(min(POLL_SECONDS, left))
                continue
            except OSError as exc:
                os.close(fd)
                raise ArchiveError(f"{path}: cannot lock: {exc.strerror or exc}") from None
            self._held[name] = fd
            return True

    def release_all(self) -> None:
        for fd in self._held.values():
            os.close(fd)  # closing the descriptor releases the flock
        self._held.clear()


class SenderToken:
    """A token naming one process that sends alerts, alive exactly as long as
    that process holds the flock on `<db>.locks/senders/<token>.lock`.

    Delivery leases name their owner by this token, not by a process id: a
    container and the host's cron see different PIDs (a PID from another
    namespace looks dead, or names a stranger), but they share the file and
    the kernel's lock on it.  A killed sender's flock goes with it, so its
    leases are free at once.
    """

    def __init__(self, db_path: str | os.PathLike):
        self.dir = Path(f"{db_path}.locks") / "senders"
        self.token = uuid.uuid4().hex
        self._fd: int | None = None

    def __enter__(self) -> "SenderToken":
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            _sweep(self.dir)
            # Locked under a temporary name, then renamed: nobody ever sees the token's file unlocked.
            temporary = self.dir / f".{self.token}.new"
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.replace(temporary, self.dir / f"{self.token}.lock")
        except OSError as exc:
            raise ArchiveError(f"{self.dir}: cannot create the sender's lock file: {exc.strerror or exc}") from None
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            try:
                os.unlink(self.dir / f"{self.token}.lock")
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None


def sender_alive(db_path: str | os.PathLike, token: str) -> bool:
    """Whether the sender named by `token` is still running (holds its lock),
    wherever it runs on this machine.  An owner that is no token (a process id
    written by an older version) cannot be checked and counts as gone."""
    if not _TOKEN.match(token or ""):
        return False
    path = Path(f"{db_path}.locks") / "senders" / f"{token}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # released (the owner removes its file when done)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def _sweep(folder: Path) -> None:
    """Remove the lock files of senders that were killed (nobody holds them)."""
    for path in folder.glob("*.lock"):
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            os.close(fd)


_TOKEN = re.compile(r"^[0-9a-f]{32}$")
