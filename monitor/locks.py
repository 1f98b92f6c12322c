"""One lock per source, shared by every process that uses the same archive.

`tidings run` from cron and the `tidings schedule` daemon's crawls take the
source's lock before crawling it, so one source is never crawled by two
processes at once.

A lock is the file `<db>.locks/<source>.lock` naming its holder's token; a
token is alive exactly as long as its process holds the flock on
`<db>.locks/crawlers/<token>.lock` (the same kind of token as alert
senders', below).  So a process holds two descriptors however many sources
it crawls (one descriptor per source ran out at about a thousand sources
under the usual limit of 1,024 open files, and at 20,000 under this
machine's), and a crashed crawl still never leaves a stale lock behind:
the kernel drops its token's flock, and its sources count as free.  Reading
and writing holders happens under `<db>.locks/.registry` (a name no source
can have), always waited for and held for at most a few hundred sources'
files at a time, so a run taking 50,000 locks never shuts out a batch
taking a hundred.  A source file flocked by an older version of
Tidings counts as held.
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
SLICE = 256  # source files read or written per hold of the registry
TOKEN_BYTES = 32

T = TypeVar("T")


class SourceLocks:
    """The source locks this process holds; released on exit of the `with`."""

    def __init__(self, db_path: str | os.PathLike):
        self.dir = Path(f"{db_path}.locks")
        self._token: ProcessToken | None = None
        self._held: set[str] = set()
        self._pid = os.getpid()

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
        if self._token is None:
            self._token = ProcessToken(self.dir / "crawlers").__enter__()
        busy: set[str] = set()
        registry = _Registry(self.dir)
        try:
            for name in sorted({s.name for s in sources}):
                if not self._take(registry, name, deadline):
                    busy.add(name)
        finally:
            registry.close()
        return [s for s in sources if s.name not in busy], [s for s in sources if s.name in busy]

    def _take(self, registry: "_Registry", name: str, deadline: float) -> bool:
        """Lock one source, waiting until `deadline` while another process holds it."""
        if name in self._held:
            return True
        while True:
            registry.enter()
            if registry.claim(name, self._token.token):
                self._held.add(name)
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            registry.leave()  # never hold the registry while waiting: the holder must be able to release
            time.sleep(min(POLL_SECONDS, left))

    def release_all(self) -> None:
        if os.getpid() != self._pid:
            return  # a forked child leaving: the locks are its parent's
        if self._held:
            registry = _Registry(self.dir)
            try:
                for name in self._held:
                    registry.enter()
                    registry.clear(name, self._token.token)
            finally:
                registry.close()
            self._held.clear()
        if self._token is not None:
            self._token.__exit__()  # a holder that stopped before clearing every file leaves a dead token
            self._token = None


class _Registry:
    """The short-held lock under which source files are read and written."""

    def __init__(self, folder: Path):
        self.dir = folder
        self._fd: int | None = None
        self._uses = 0
        self._alive: dict[str, bool] = {}  # per entry: a token's liveness, asked once while the registry is held

    def enter(self) -> None:
        """Hold the registry, waiting for it: others hold it only to read and
        write a few hundred files.  Held already for SLICE operations, it is
        let go and taken again, so nobody waits behind a whole long pass."""
        if self._fd is not None:
            self._uses += 1
            if self._uses < SLICE:
                return
            self.leave()
            os.sched_yield()  # a process woken by the release gets its turn
        path = self.dir / ".registry"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot create the source locks' file: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(fd)
            raise ArchiveError(f"{path}: cannot lock: {exc.strerror or exc}") from None
        self._fd = fd
        self._uses = 0
        self._alive.clear()

    def leave(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    close = leave

    def claim(self, name: str, token: str) -> bool:
        """Name `token` as the source's holder unless a live process holds it."""
        path = self.dir / f"{name}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot create the source's lock file: {exc.strerror or exc}") from None
        try:
            if _flocked(fd):
                return False  # an older version of Tidings crawls it
            holder = os.pread(fd, TOKEN_BYTES + 1, 0).decode("ascii", "replace")
            if holder and holder != token and self._holder_alive(holder):
                return False
            os.pwrite(fd, token.encode(), 0)
            os.ftruncate(fd, TOKEN_BYTES)
            return True
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot lock: {exc.strerror or exc}") from None
        finally:
            os.close(fd)

    def clear(self, name: str, token: str) -> None:
        """Free the source if `token` still holds it."""
        try:
            fd = os.open(self.dir / f"{name}.lock", os.O_RDWR)
        except OSError:
            return
        try:
            if os.pread(fd, TOKEN_BYTES + 1, 0) == token.encode():
                os.ftruncate(fd, 0)
        except OSError:
            pass  # a file left naming this token frees itself: the token dies with its process
        finally:
            os.close(fd)

    def _holder_alive(self, holder: str) -> bool:
        if holder not in self._alive:
            self._alive[holder] = token_alive(self.dir / "crawlers", holder)
        return self._alive[holder]


def _flocked(fd: int) -> bool:
    """Whether another open file holds a flock on this file (an older Tidings' lock)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


class ProcessToken:
    """A token naming one process, alive exactly as long as that process
    holds the flock on `<folder>/<token>.lock`.

    Source locks and delivery leases name their owner by such a token, not
    by a process id: a container and the host's cron see different PIDs (a
    PID from another namespace looks dead, or names a stranger), but they
    share the file and the kernel's lock on it.  A killed process's flock
    goes with it, so what it held is free at once.
    """

    def __init__(self, folder: Path):
        self.dir = folder
        self.token = uuid.uuid4().hex
        self._fd: int | None = None

    def __enter__(self) -> "ProcessToken":
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            _sweep(self.dir)
            # Locked under a temporary name, then renamed: nobody ever sees the token's file unlocked.
            temporary = self.dir / f".{self.token}.new"
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.replace(temporary, self.dir / f"{self.token}.lock")
        except OSError as exc:
            raise ArchiveError(f"{self.dir}: cannot create the process's lock file: {exc.strerror or exc}") from None
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


def token_alive(folder: Path, token: str) -> bool:
    """Whether the process named by `token` is still running (holds its lock),
    wherever it runs on this machine.  Anything that is no token counts as gone."""
    if not _TOKEN.match(token or ""):
        return False
    try:
        fd = os.open(folder / f"{token}.lock", os.O_RDWR)
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


class SenderToken(ProcessToken):
    """The token of a process that sends alerts: delivery leases name it."""

    def __init__(self, db_path: str | os.PathLike):
        super().__init__(Path(f"{db_path}.locks") / "senders")


def sender_alive(db_path: str | os.PathLike, token: str) -> bool:
    """Whether the sender named by `token` is still running.

    A process id is what versions before sender tokens wrote.  During an
    upgrade such a sender may still be sending (it opened the archive before
    the new version migrated it), so its lease holds while a process of that
    id exists here, as it did for that version; at worst (the id reused) it
    holds until the lease runs out."""
    if _PID.match(token or ""):
        return _process_exists(int(token))
    return token_alive(Path(f"{db_path}.locks") / "senders", token)


def _sweep(folder: Path) -> None:
    """Remove the token files of processes that were killed (nobody holds them)."""
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


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process never writes its id: the id is an older sender's, reused
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except (OverflowError, OSError):
        return False
    return True


_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_PID = re.compile(r"^[1-9][0-9]{0,9}$")
