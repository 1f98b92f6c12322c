"""Output files (exports, feeds) survive a crash or power cut whole: old or new, never empty.

A power cut cannot be staged in a test, so this watches the system calls
that make the guarantee: the new content reaches the disk before the name
points at it, and the rename reaches the disk before the write is done.
The calls still run for real (the test only records them).
"""

from __future__ import annotations

import os
import stat

import pytest

from monitor.errors import OutputError
from monitor.files import atomic_write


@pytest.fixture
def calls(monkeypatch):
    """Record fsync (of a file or a folder) and replace, in order, while they still happen."""
    seen: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        kind = "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        seen.append(("fsync", kind))
        return real_fsync(fd)

    def replace(src, dst):
        seen.append(("replace", os.path.basename(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return seen


def test_content_then_name_then_folder_reach_the_disk(tmp_path, calls):
    target = tmp_path / "feed.xml"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target) as fh:
        fh.write("new")
    assert target.read_text(encoding="utf-8") == "new"
    assert calls == [("fsync", "file"), ("replace", "feed.xml"), ("fsync", "folder")]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml"]


def test_a_failed_write_leaves_the_old_file_and_syncs_nothing(tmp_path, calls):
    target = tmp_path / "items.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("half")
            raise RuntimeError("the export stopped")
    assert target.read_text(encoding="utf-8") == "old"
    assert calls == []
    assert [p.name for p in tmp_path.iterdir()] == ["items.csv"]


def test_an_unwritable_folder_is_one_line(tmp_path):
    with pytest.raises(OutputError, match=r"missing/feed\.xml: cannot write"):
        with atomic_write(tmp_path / "missing" / "feed.xml") as fh:
            fh.write("x")
