"""Finding a test's browser processes in the process table, and the browser the tests render with.

A test starts `tidings` with a marker in its environment; Chromium and its
helpers inherit it (through the Playwright driver), even when started in a
session of their own, so `marked` finds every process the test caused,
whatever became of its parent.  `require_chromium` skips a test without a
browser, unless TIDINGS_REQUIRE_BROWSER=1 says this run must have one (CI).
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

MARK = "TIDINGS_TEST_PROCESS_MARK"


def require_chromium() -> str:
    """The Chromium executable, or skip (fail under TIDINGS_REQUIRE_BROWSER=1)."""
    from scraper.browser import BrowserNotFound, find_browser, require_browser_support

    try:
        require_browser_support()
        return find_browser()
    except BrowserNotFound as exc:
        if os.environ.get("TIDINGS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TIDINGS_REQUIRE_BROWSER=1 but {exc}", pytrace=False)
        pytest.skip(f"no browser to render with: {exc}")


def new_mark() -> dict[str, str]:
    """Environment entries that mark every process started with them."""
    return {MARK: uuid.uuid4().hex}


def marked(mark: dict[str, str]) -> dict[int, str]:
    """Live (not zombie) processes carrying `mark`, by pid, with their program name."""
    needle = f"{MARK}={mark[MARK]}".encode()
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle not in fh.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        if stat.rpartition(")")[2].split()[0] != "Z":
            found[int(entry)] = stat[stat.index("(") + 1:stat.rindex(")")]
    return found


def browser_started(mark: dict[str, str], proc=None, wait: float = 60) -> dict[int, str]:
    """Wait until a marked Chromium runs; the marked processes then."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = marked(mark)
        if any("chrom" in name for name in found.values()):
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended (code {proc.returncode}) before its browser started")
        time.sleep(0.1)
    raise AssertionError("Chromium did not start")


def left_over(mark: dict[str, str], wait: float = 15) -> dict[int, str]:
    """Marked processes still alive after up to `wait` seconds (none, when all went)."""
    deadline = time.monotonic() + wait
    while True:
        found = marked(mark)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
