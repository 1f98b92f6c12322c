"""`tidings schedule`: the daemon that crawls each source on its schedule.

    service.py    the daemon: its loop, signals, configuration (re)loads, shutdown
    timetable.py  when each source is next due (schedule slot plus jitter)
    batches.py    sources due together, crawled by one child; timeouts, failures
    child.py      forking a child: process group, dying with the daemon, its report pipe
    work.py       what a child does: crawl a batch, or retry alert deliveries
    lag.py        schedule lag, and the one warning when the daemon falls behind
"""

from monitor.daemon.service import Daemon

__all__ = ["Daemon"]
