"""What every benchmark script shares: the fixture server, measuring a command, tables.

A measured command runs as a child process.  Wall time is taken around it,
CPU time (user + system, the child and everything it waited for) from
`os.wait4`, and peak RSS as the sum of the peak resident memory (VmHWM,
sampled from /proc every 10 ms) of every process in its tree: a command
that forks workers is charged for all of them (an upper bound, since their
peaks need not coincide, and pages a forked worker shares with its parent
count in both), and growth in a process's last 10 ms is missed.  Peak PSS
(proportional set size, shared pages split between the processes sharing
them) is sampled alongside: the fairer figure for a tree of forked workers,
though a sample can miss a short peak.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Measure:
    wall: float  # seconds
    cpu: float  # seconds, user + system
    rss: float  # MiB, sum of the peak RSS of every process in the tree
    pss: float = 0.0  # MiB, peak of the tree's summed PSS (shared pages split), sampled

    @staticmethod
    def median(runs: list["Measure"]) -> "Measure":
        return Measure(
            statistics.median(m.wall for m in runs),
            statistics.median(m.cpu for m in runs),
            statistics.median(m.rss for m in runs),
            statistics.median(m.pss for m in runs),
        )


class FixtureSite:
    """The fixture server (bench.site) in its own process."""

    def __init__(self, sources: int):
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "bench.site", "--sources", str(sources)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.base = self.proc.stdout.readline().strip()
        if not self.base.startswith("http://"):
            self.close()
            raise RuntimeError("the fixture server did not start")
        self.sources = sources

    def url(self, source: int) -> str:
        from bench.site import page_path

        return self.base + page_path(source)

    def urls(self) -> list[str]:
        return [self.url(i) for i in range(self.sources)]

    def control(self, what: str) -> dict:
        with urllib.request.urlopen(f"{self.base}/__bench/{what}", timeout=120) as answer:
            return json.loads(answer.read())

    def round(self, number: int, per_round: int) -> None:
        self.control(f"round?n={number}&k={per_round}")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@contextmanager
def fixture_site(sources: int) -> Iterator[FixtureSite]:
    site = FixtureSite(sources)
    try:
        yield site
    finally:
        site.close()


def _tree(root_pid: int) -> list[int]:
    """A process and its live descendants (via /proc/PID/task/TID/children)."""
    pids, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return pids


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


_OWN_CMDLINE = _cmdline(os.getpid())


def _kib(path: str, field: bytes) -> int:
    """A "Field:  N kB" line of a /proc file, in KiB; 0 once the process has exited."""
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    """The process's proportional set size now: pages shared with its forks count once overall."""
    return _kib(f"/proc/{pid}/smaps_rollup", b"Pss:")


def _high_water_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in KiB."""
    return _kib(f"/proc/{pid}/status", b"VmHWM:")


def measure(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None,
            ok_codes: tuple[int, ...] = (0,), timeout: float = 1800) -> Measure:
    """Run a command to its end; its wall time, CPU time and peak tree RSS."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=full_env, cwd=cwd or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    high_water: dict[int, int] = {}
    done = threading.Event()

    peak_pss = [0]

    def sample() -> None:
        while not done.is_set():
            pss = 0
            for pid in _tree(proc.pid):
                if _cmdline(pid) == _OWN_CMDLINE:
                    continue  # forked by Popen, not yet exec'd: still this script's memory
                high_water[pid] = max(high_water.get(pid, 0), _high_water_kib(pid))
                pss += _pss_kib(pid)
            peak_pss[0] = max(peak_pss[0], pss)
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok_codes:
        tail = b"".join(stderr_chunks).decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited {proc.returncode}:\n{tail}")
    # Not usage.ru_maxrss: Linux carries the parent's peak across fork+exec into it.
    return Measure(wall, usage.ru_utime + usage.ru_stime, sum(high_water.values()) / 1024, peak_pss[0] / 1024)


def compile_code(root: Path) -> None:
    """Byte-compile the Python packages of the checkout in `root`, as pip does on install.

    urlwatch runs from its venv's compiled files; Tidings must too.  Where
    PYTHONDONTWRITEBYTECODE is set (some shells and CI do), a run would
    otherwise compile Tidings' modules from source every time: about 45 ms of
    CPU per run that no installed copy pays.
    """
    import compileall

    for package in ("monitor", "scraper", "bench"):
        compileall.compile_dir(root / package, quiet=1)


def table(headers: list[str], rows: list[list]) -> str:
    """A plain Markdown table (pasteable into docs/benchmarks.md)."""
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line naming the machine and the versions measured."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import scrapy  # a dependency of Tidings: always there

    return (f"{os.cpu_count()} CPUs ({model}); Python {sys.version.split()[0]}; Scrapy {scrapy.__version__}; "
            f"load average {os.getloadavg()[0]:.2f} at start")
