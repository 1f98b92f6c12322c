"""Writing output files so that a reader never sees half of one.

Exports and feeds are read by other programs (a web server serving
feeds_dir, a spreadsheet): each is written to a temporary file in the same
folder and renamed over the target only once complete.  A name that is a
symlink is written through to its target; a device or a FIFO (`-o
/dev/stdout`, a pipe) is written to directly, never replaced by a file.  Both the file and
the rename are flushed to disk (fsync), so a crash or power cut leaves the
old file or the new one, never an empty or partial one under the name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterator

from monitor.errors import OutputError

FILE_MODE = 0o644  # mkstemp's 0600 would hide feeds from a web server


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, newline: str | None = None,
                 file_mode: int = FILE_MODE) -> Iterator[IO]:
    """Yield a file to write; on success it replaces `path`, on any error it vanishes.

    `mode` is "w" (UTF-8 text) or "wb"; `file_mode` the new file's permissions
    (a rewritten configuration keeps its own).  OSErrors become one-line
    OutputErrors naming the file.  A symlink is written through (its target is
    replaced, the link stays: the user named it); a device or a FIFO is written
    to directly and never replaced by a regular file; anything else that is not
    a regular file is refused.
    """
    path = Path(path)
    kind = _kind(path)  # through links, magic ones too (/dev/stdout -> /proc/self/fd/1 -> a pipe)
    if kind == "stream":
        with _direct(path, mode, newline) as fh:
            yield fh
        return
    if kind != "file":
        raise OutputError(f"{path}: is {kind}, not a file; not written")
    with _replacing(path, Path(os.path.realpath(path)), mode, newline, file_mode) as fh:
        yield fh


def _kind(path: Path) -> str:
    """"file" (regular, or not there yet), "stream" (a device or FIFO), or what else it is."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "file"
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    return "a directory" if stat.S_ISDIR(mode) else "a socket or block device"


@contextlib.contextmanager
def _direct(path: Path, mode: str, newline: str | None) -> Iterator[IO]:
    """Write straight into a device or a FIFO (there is nothing to replace)."""
    try:
        with open(path, mode, encoding=None if "b" in mode else "utf-8", newline=newline) as fh:
            yield fh
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _replacing(path: Path, target: Path, mode: str, newline: str | None, file_mode: int) -> Iterator[IO]:
    """A temporary file beside `target`, renamed over it once complete and on disk."""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())  # the content is on disk before the name points at it
        os.chmod(tmp, file_mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
    try:
        _fsync_folder(target.parent)  # and the rename itself survives a power cut
    except OSError as exc:
        reason = exc.strerror or exc
        raise OutputError(f"{path}: written, but its folder could not be flushed to disk: {reason}") from None


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows cannot open a folder, and needs no such step)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # a file system that cannot sync folders
            raise
    finally:
        os.close(fd)
