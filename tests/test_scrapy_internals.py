"""The one private detail of Scrapy that Tidings relies on, checked against the installed Scrapy.

scraper/preload.py answers scrapy.utils.deprecate's caller lookup from the
frame instead of `inspect.stack()` (about 50 ms of every start).  Scrapy has
no hook for it, so these tests fail loudly when a Scrapy upgrade changes what
the patch relies on, or makes it pointless, instead of letting it decay.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

from scraper import preload
from tests.helpers import ROOT

# Imports Scrapy's HTTP handler in a fresh interpreter, with or without the
# preload, counting calls of inspect.stack and noting the module every
# deprecated alias of the TLS modules ends up in.
PROBE = """
import inspect, json, sys
calls = []
real_stack = inspect.stack
def counting_stack(*args, **kwargs):
    calls.append(1)
    return real_stack(*args, **kwargs)[1:]  # as seen from the caller: without this wrapper's frame
inspect.stack = counting_stack
if sys.argv[1] == "preload":
    from scraper.preload import load_crawl_modules
    load_crawl_modules()
else:
    import importlib
    importlib.import_module("scrapy.core.downloader.handlers.http11")
from scrapy.core.downloader import contextfactory, tls
from scrapy.utils import deprecate
aliases = {f"{m.__name__}.{name}": value.__module__ for m in (tls, contextfactory)
           for name, value in vars(m).items() if type(value).__name__ == "DeprecatedClass"}
print(json.dumps({"stack_calls": len(calls), "aliases": aliases, "restored": deprecate.inspect is inspect}))
"""


def probe(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_installed_scrapy_is_one_the_preload_patch_was_checked_against():
    import scrapy

    assert preload.frame_lookup_applies(), (
        f"Scrapy {scrapy.__version__} is not in scraper.preload.VERIFIED_SCRAPY "
        f"{sorted(preload.VERIFIED_SCRAPY)}, or scrapy.utils.deprecate no longer uses the real inspect: "
        "read its create_deprecated_class, then add the release or drop the patch")


def test_create_deprecated_class_still_looks_up_its_caller_through_inspect():
    from scrapy.utils import deprecate

    assert deprecate.inspect is inspect
    names = set(deprecate.create_deprecated_class.__code__.co_names)
    assert {"inspect", "stack", "getmodule"} <= names, names


def test_the_preload_skips_inspect_stack_and_gives_every_alias_the_same_module():
    plain, preloaded = probe("plain"), probe("preload")
    assert plain["aliases"], "Scrapy's TLS modules define no deprecated alias any more: drop the patch"
    assert plain["stack_calls"] > 0, "Scrapy no longer calls inspect.stack on import: drop the patch"
    assert preloaded["stack_calls"] == 0
    assert preloaded["aliases"] == plain["aliases"]
    assert preloaded["restored"] and plain["restored"]
