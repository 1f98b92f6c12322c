"""Writing output files so that a reader never sees half of one.

Exports and feeds are read by other programs (a web server serving
feeds_dir, a spreadsheet): each is written to a temporary file in the same
folder and renamed over the target only once complete.  Both the file and
the rename are flushed to disk (fsync), so a crash or power cut leaves the
old file or the new one, never an empty or partial one under the name.
"""

from __future__ import annotations

import contextlib
import errno
import os
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
    OutputErrors naming the file.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())  # the content is on disk before the name points at it
        os.chmod(tmp, file_mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
    try:
        _fsync_folder(path.parent)  # and the rename itself survives a power cut
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
