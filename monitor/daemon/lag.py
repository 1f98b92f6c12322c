"""Schedule lag: how late sources start, and one warning when the daemon falls behind.

A source's lag is the time between when it was due (its schedule's time
plus jitter) and when the batch that crawls it started.  Batching adds up to
the batch window (one second); more means every `--workers` slot was busy.
The daemon says so once when the lag passes LAG_WARNING_SECONDS, and once
more when it is back under half of that, rather than on every tick.
"""

from __future__ import annotations

import logging
from typing import Mapping

log = logging.getLogger("tidings.schedule")

LAG_WARNING_SECONDS = 10.0


class LagWatch:
    """Watches the lag of each batch that starts; warns once per episode of falling behind."""

    def __init__(self, threshold: float = LAG_WARNING_SECONDS):
        self.threshold = threshold
        self.behind = False
        self.worst = 0.0  # the largest lag seen, for the log at stop

    def observe(self, lags: Mapping[str, float], waiting: int) -> None:
        """The lags (seconds) of a batch's sources, and how many sources still wait for a slot."""
        if not lags:
            return
        name = max(lags, key=lags.get)
        worst = lags[name]
        self.worst = max(self.worst, worst)
        if not self.behind and worst > self.threshold:
            self.behind = True
            log.warning("falling behind schedule: %s started %.1f s after it was due (%d more sources waiting);"
                        " give the daemon more --workers, fewer sources or longer schedules", name, worst, waiting)
        elif self.behind and worst < self.threshold / 2:
            self.behind = False
            log.warning("back on schedule: sources start %.1f s after they are due", worst)
