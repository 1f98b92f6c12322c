"""Where `export -o` and `feed -o` write, and what they never do to it.

- A regular file is replaced only once the new one is complete.
- A symlink the user named is written through: its target gets the
  content (replaced whole), the link stays a link.
- A device or a FIFO is written to directly, never replaced by a regular
  file (as root, `-o /dev/full` used to turn the device into a file); a
  write that fails there (a full device) is one line, exit code 2.
- `export > file` on a full disk (stdout is /dev/full) is one line, no traceback.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

from tests.helpers import ROOT, Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, seed_items


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from tests.helpers import Site

    site = Site()
    try:
        folder = tmp_path_factory.mktemp("archive")
        site.pages["/news"] = Page(Listing().render())
        config = write_config(folder / "t.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
        db = folder / "archive.db"
        assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
        return db
    finally:
        site.close()


def full_device(path) -> None:
    """A character device like /dev/full (1, 7): every write fails with ENOSPC."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here ({exc.strerror}): needs root with CAP_MKNOD")


def assert_one_line(result, *words) -> None:
    assert result.code == 2, (result.code, result.stderr)
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("tidings: error: ") and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in line, line


@pytest.mark.parametrize("command", [("export", "--format", "csv"), ("feed",)])
def test_a_device_is_written_to_and_never_replaced(archive, tmp_path, command):
    device = tmp_path / "full"
    full_device(device)
    result = tidings(*command, "--db", str(archive), "-o", str(device))
    assert_one_line(result, str(device), "No space left on device")
    assert stat.S_ISCHR(os.lstat(device).st_mode), "the device was replaced by a regular file"
    assert [p.name for p in tmp_path.iterdir()] == ["full"]  # no temporary file left beside it


@pytest.mark.parametrize("command", [("export", "--format", "csv"), ("feed",)])
def test_a_fifo_is_written_to_directly(archive, tmp_path, command):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    result = tidings(*command, "--db", str(archive), "-o", str(fifo))
    reader.join(30)
    assert result.code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert seed_items()[0].headline.encode() in received[0]


@pytest.mark.parametrize("command, name", [(("export",), "items.csv"), (("feed",), "feed.atom")])
def test_a_symlink_is_written_through_and_stays_a_link(archive, tmp_path, command, name):
    real = tmp_path / "real"
    real.mkdir()
    (real / name).write_text("old content")
    link = tmp_path / name
    link.symlink_to(real / name)
    result = tidings(*command, "--db", str(archive), "-o", str(link))
    assert result.code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real / name)
    assert seed_items()[0].headline in (real / name).read_text()


def test_export_to_a_full_stdout_is_one_line(archive):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:  # opened for writing only: nothing replaces it
        proc = subprocess.run([sys.executable, "-m", "monitor", "export", "--db", str(archive)],
                              stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    line = proc.stderr.strip()
    assert proc.returncode == 2, proc.stderr
    assert "\n" not in line and line.startswith("tidings: error: ") and "No space left on device" in line, proc.stderr


def test_a_link_to_standard_output_writes_to_the_pipe(archive, tmp_path):
    """`-o /dev/stdout` is a symlink to /proc/self/fd/1, a pipe here: written to, not replaced.
    (A link of our own to the same place, so a regression cannot replace the system's /dev/stdout.)"""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "monitor", "export", "--db", str(archive), "--format", "csv",
                           "-o", str(link)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert seed_items()[0].headline in proc.stdout
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
