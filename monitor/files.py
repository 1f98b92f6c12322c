"""Writing output files so that a reader never sees half of one.

Exports and feeds are read by other programs (a web server serving
feeds_dir, a spreadsheet): each is written to a temporary file in the same
folder and renamed over the target only once complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from monitor.errors import OutputError

FILE_MODE = 0o644  # mkstemp's 0600 would hide feeds from a web server


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, newline: str | None = None) -> Iterator[IO]:
    """Yield a file to write; on success it replaces `path`, on any error it vanishes.

    `mode` is "w" (UTF-8 text) or "wb".  OSErrors become one-line OutputErrors
    naming the file.
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
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
