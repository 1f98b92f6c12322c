"""Crash safety, reduced: `tidings run`, the daemon and its batch children, and
browser renders SIGKILLed at chosen moments.

The full forms are `python tests/crash_harness.py --trials 60`,
`python tests/crash_daemon_harness.py --trials 12` and
`python tests/crash_browser_harness.py --trials 4`; see there for what is
checked after each kill and after the final clean run.
"""

from __future__ import annotations

import random

from tests.browser_processes import require_chromium
from tests.crash_browser_harness import BrowserTrials
from tests.crash_daemon_harness import DaemonTrials
from tests.crash_harness import Trials


def _run(harness, tmp_path, trials: int, *args) -> None:
    seed = random.randrange(1 << 30)
    runner = harness(tmp_path, seed, *args)
    try:
        runner.run(trials, log=lambda line: print(f"[seed {seed}] {line}"))
    finally:
        runner.close()


def test_killed_runs_never_damage_the_archive_or_lose_an_item(tmp_path):
    _run(Trials, tmp_path, 8)


def test_a_killed_daemon_or_batch_child_loses_nothing_and_leaves_nothing(tmp_path):
    # Six trials: the daemon and its batch child, each killed during a fetch, just
    # after a crawl is recorded (before its alert) and during an alert's delivery.
    _run(DaemonTrials, tmp_path, 6)


def test_a_run_or_daemon_killed_mid_render_leaves_no_browser_and_loses_nothing(tmp_path):
    _run(BrowserTrials, tmp_path, 2, require_chromium())
