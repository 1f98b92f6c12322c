"""Crash safety, reduced: `tidings run` SIGKILLed at random moments (8 trials).

The full form is `python tests/crash_harness.py --trials 60`; see there for
what is checked after each kill and after the final clean run.
"""

from __future__ import annotations

import random

from tests.crash_harness import Trials


def test_killed_runs_never_damage_the_archive_or_lose_an_item(tmp_path):
    seed = random.randrange(1 << 30)
    trials = Trials(tmp_path, seed)
    try:
        trials.run(8, log=lambda line: print(f"[seed {seed}] {line}"))
    finally:
        trials.close()
