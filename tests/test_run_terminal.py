"""`tidings run` as a person at a terminal sees it: Ctrl-C, the progress line, -q and -v.

The CLI runs in a real pseudo-terminal (stdout and stderr both on it, as in
a shell) against a local site whose slow page holds the crawl open.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

from tests.helpers import ROOT, Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items

STOPPING = "tidings: stopping after the current pages (Ctrl-C again to stop now)"


class Terminal:
    """The CLI on a pseudo-terminal; `output` is everything it wrote, as the screen got it."""

    def __init__(self, *args: str):
        self.master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
        env.update(PYTHONPATH=str(ROOT), TERM="xterm")
        self.proc = subprocess.Popen([sys.executable, "-m", "monitor", *args], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=ROOT, env=env, close_fds=True)
        os.close(slave)
        self.output = ""

    def read_until(self, text: str, timeout: float) -> float:
        """Seconds until `text` appeared on the screen (fails after `timeout`)."""
        start = time.monotonic()
        while text not in self.output:
            left = timeout - (time.monotonic() - start)
            assert left > 0, f"{text!r} not shown within {timeout} s; screen: {self.output!r}"
            self._read(min(left, 0.2))
        return time.monotonic() - start

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.2):
            pass
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the other end closed
            return False
        self.output += data.decode("utf-8", "replace")
        return bool(data)


def _sources(site, slow_delay: float = 0.0) -> list[dict]:
    site.pages["/fast"] = Page(Listing().render())
    site.pages["/slow"] = Page(Listing().render(), delay=slow_delay)
    return [{"name": "fast", "url": site.url("/fast"), **DRUPAL_SOURCE},
            {"name": "slow", "url": site.url("/slow"), **DRUPAL_SOURCE}]


def _wait_for_request(site, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while path not in site.requests:
        assert time.monotonic() < deadline, f"{path} never asked for"
        time.sleep(0.05)


def test_first_ctrl_c_says_what_happens_at_once_and_the_run_exits_130(tmp_path, site):
    config = write_config(tmp_path / "tidings.toml", _sources(site, slow_delay=4))
    term = Terminal("run", "--config", str(config), "--db", str(tmp_path / "t.db"))
    _wait_for_request(site, "/slow")
    term.proc.send_signal(signal.SIGINT)
    assert term.read_until(STOPPING, timeout=10) < 1.0  # at once, not when the slow page has come in
    code = term.finish()
    assert code == 130, term.output
    # The page being fetched was finished and recorded: stopping lost nothing.
    assert "slow" in term.output and "baseline" in term.output


def test_second_ctrl_c_stops_now_and_the_report_starts_on_a_fresh_line(tmp_path, site):
    config = write_config(tmp_path / "tidings.toml", _sources(site, slow_delay=30))
    term = Terminal("run", "--config", str(config), "--db", str(tmp_path / "t.db"))
    _wait_for_request(site, "/slow")
    term.read_until("[1/2] fast", timeout=30)  # the progress line is up
    term.proc.send_signal(signal.SIGINT)
    term.read_until(STOPPING, timeout=10)
    term.proc.send_signal(signal.SIGINT)
    code = term.finish(timeout=20)
    assert code == 130, term.output
    assert "tidings: interrupted; 1 source not crawled" in term.output
    screen = _screen_lines(term.output)
    report = [line for line in screen if line.startswith("fast ")]
    assert report and report[0].split()[:2] == ["fast", "baseline"], screen
    assert not any("[1/2]" in line for line in screen), screen  # the progress line was erased


def test_progress_is_erased_before_the_report_and_quiet_shows_none(tmp_path, site):
    config = write_config(tmp_path / "tidings.toml", _sources(site))
    db = tmp_path / "t.db"
    term = Terminal("run", "--config", str(config), "--db", str(db))
    assert term.finish() == 0
    assert "[2/2]" in term.output  # progress was shown while crawling ...
    screen = _screen_lines(term.output)
    assert [line.split()[:2] for line in screen if line.strip()] == [["fast", "baseline"], ["slow", "baseline"]]

    site.pages["/fast"] = Page(Listing().with_items([extra_item(1)] + seed_items()).render())
    quiet = Terminal("run", "--config", str(config), "--db", str(db), "-q")
    assert quiet.finish() == 0
    assert "[1/2]" not in quiet.output and "[2/2]" not in quiet.output  # -q: no progress either
    assert extra_item(1).headline in quiet.output  # ... but what is new


def test_verbose_logs_each_page(tmp_path, site):
    config = write_config(tmp_path / "tidings.toml", _sources(site))
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "t.db"), "-v")
    assert result.code == 0, result.stderr
    pages = [line for line in result.stderr.splitlines() if "tidings.pages" in line]
    assert len(pages) == 2
    for name in ("fast", "slow"):
        (line,) = [p for p in pages if f": {name}: page 1 " in p]
        assert site.url(f"/{name}") in line and "HTTP 200" in line and " bytes, 10 items, " in line
        assert line.rstrip().endswith(" s")


def test_run_help_names_every_exit_code():
    result = tidings("run", "--help")
    text = " ".join(result.stdout.split())
    assert "1: a source failed, is suspect or was skipped" in text
    assert "130: interrupted" in text


def _screen_lines(output: str) -> list[str]:
    """The lines a terminal would show: a carriage return goes back to the line's start, ESC[K erases to its end."""
    lines, current = [], []
    column = 0
    index = 0
    while index < len(output):
        char = output[index]
        if output.startswith("\x1b[K", index):
            del current[column:]
            index += 3
            continue
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("".join(current))
            current, column = [], 0
        else:
            if column < len(current):
                current[column] = char
            else:
                current.append(char)
            column += 1
        index += 1
    if current:
        lines.append("".join(current))
    return lines
