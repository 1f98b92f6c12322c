"""Import the Scrapy modules a crawl needs, once, and without a costly detour.

Scrapy's HTTP download handler (loaded by every crawl, http or https) imports
its TLS modules, which define three deprecated aliases through
`scrapy.utils.deprecate.create_deprecated_class`.  That function finds the
module an alias is defined in with `inspect.stack()`, which reads the source
of every frame on the stack and, for each importlib frame, checks every
loaded module's file: about 50 ms of CPU at every start, a tenth of a
one-source `tidings run`.  `load_crawl_modules` imports the handler with that
one lookup answered straight from the caller's frame instead (same answer:
the aliases keep the `__module__` Scrapy gives them), and only for the
duration of that import.  The garbage collector is paused meanwhile (see
`_collector_paused`).

No reactor is installed by these imports, so they may run before Scrapy
installs its asyncio reactor, and before worker processes are forked.

This replaces a private detail of Scrapy (the module global `inspect` of
scrapy.utils.deprecate): Scrapy offers no hook for it.  The slowness is
CPython's (inspect.getmodule rescans sys.modules for frames without a source
file: https://github.com/python/cpython/issues/92041); Scrapy's side is
create_deprecated_class's caller lookup (the module's future is discussed in
https://github.com/scrapy/scrapy/issues/2194).  So the patch applies only to
the Scrapy versions it was checked against (`VERIFIED_SCRAPY`), only while
that module still uses the real `inspect`, and tests/test_scrapy_internals.py
fails when the installed Scrapy is outside those versions or stops looking
its caller up this way.  Elsewhere the import simply takes the slow path.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import inspect
import sys
import types
from typing import Any, Iterator

HTTP_HANDLER_MODULE = "scrapy.core.downloader.handlers.http11"

# (major, minor) of the Scrapy releases whose create_deprecated_class was read
# and found to call only `inspect.stack()[1]` and `inspect.getmodule(frame)`.
# Add a release here only after reading its scrapy/utils/deprecate.py.
VERIFIED_SCRAPY = frozenset({(2, 19)})


def load_crawl_modules() -> None:
    """Import Scrapy's crawler, its HTTP(S) download handler and the listing spider."""
    if HTTP_HANDLER_MODULE in sys.modules:
        return
    with _collector_paused():
        import scrapy.crawler  # noqa: F401

        import scraper.spiders.listing  # noqa: F401

        with _frame_module_lookup():
            importlib.import_module(HTTP_HANDLER_MODULE)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while importing, then freeze what was imported.

    Importing Scrapy and Twisted allocates tens of thousands of long-lived
    objects, and the collector kept scanning them (about 20 ms of CPU per
    start).  Frozen, they are never scanned again by this process, nor by
    forked worker processes (whose pages then stay shared).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


class _FrameModuleInspect:
    """`inspect` for scrapy.utils.deprecate, with its caller lookup taken from frames.

    create_deprecated_class calls `inspect.stack()[1]` and `inspect.getmodule`
    on that frame; both are answered from the frame itself.  Everything else
    is the real `inspect`.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)

    @staticmethod
    def stack(context: int = 1) -> list:
        # [0] is the caller of stack() (create_deprecated_class), [1] the code defining the alias.
        return [(sys._getframe(1),), (sys._getframe(2),)]

    @staticmethod
    def getmodule(obj: Any, _filename: str | None = None) -> types.ModuleType | None:
        if isinstance(obj, types.FrameType):
            return sys.modules.get(obj.f_globals.get("__name__", ""))
        return inspect.getmodule(obj, _filename)


def frame_lookup_applies() -> bool:
    """Whether the installed Scrapy is one the patch was checked against, unchanged."""
    import scrapy
    from scrapy.utils import deprecate

    release = tuple(int(part) for part in scrapy.__version__.split(".")[:2] if part.isdigit())
    return release in VERIFIED_SCRAPY and getattr(deprecate, "inspect", None) is inspect


@contextlib.contextmanager
def _frame_module_lookup() -> Iterator[None]:
    from scrapy.utils import deprecate

    if not frame_lookup_applies():  # another Scrapy: leave it alone
        yield
        return
    deprecate.inspect = _FrameModuleInspect()  # type: ignore[assignment]
    try:
        yield
    finally:
        deprecate.inspect = inspect
