"""Child processes that never outlive the process that started them.

The daemon's crawl children and `tidings run`'s worker processes both ask
the Linux kernel for SIGKILL when their parent dies (PR_SET_PDEATHSIG), so
even `kill -9` of the parent leaves no crawler behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Callable

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15

_PRCTL: list = []


def die_with_parent(parent: int) -> Callable[[], None]:
    """What a child runs first (a Popen preexec_fn, or a forked worker's first
    call) to exit when `parent` dies, however it dies.

    libc's prctl is looked up now, in the parent: never between fork and exec.
    """
    prctl = _prctl()

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def name_process(name: str) -> None:
    """Set this process's name as `ps -o comm` and /proc/PID/comm show it
    (at most 15 bytes; Linux only), so a forked child can be told from its parent."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def _prctl():
    """libc's prctl (None off Linux), looked up once."""
    if not _PRCTL:
        function = None
        if sys.platform.startswith("linux"):
            try:
                function = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):
                function = None
        _PRCTL.append(function)
    return _PRCTL[0]
