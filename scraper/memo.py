"""Memos of what depends only on a page's strings, bounded in memory.

A monitor reads the same pages again and again, so verdicts on a class
attribute, a link or a date's text are remembered across pages
(functools.lru_cache).  Scraped strings are untrusted: a page may carry
thousands of distinct class attributes of 20 KB each, and a daemon running
for weeks would keep the last few thousand of every memo.  A string longer
than LONG is answered without being remembered (real class attributes,
links and dates are far shorter), so a memo holds at most about
maxsize x LONG characters.
"""

from __future__ import annotations

import inspect
from functools import lru_cache, wraps
from typing import Callable, TypeVar

LONG = 512

F = TypeVar("F", bound=Callable)


def string_memo(maxsize: int) -> Callable[[F], F]:
    """lru_cache(maxsize) for a function of strings (and None), passing over any call with a string longer than LONG."""
    def wrap(fn: F) -> F:
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def call(*args):
            for arg in args:
                if arg is not None and len(arg) > LONG:
                    return fn(*args)
            return cached(*args)

        @wraps(fn)
        def call_one(arg):
            # The one-string case (most memos: class attributes, dates, link texts), without
            # the loop over arguments: called hundreds of times a page.
            if arg is not None and len(arg) > LONG:
                return fn(arg)
            return cached(arg)

        chosen = call_one if _takes_one_argument(fn) else call
        chosen.cache_clear = cached.cache_clear
        chosen.cache_info = cached.cache_info
        return chosen  # type: ignore[return-value]
    return wrap


def _takes_one_argument(fn: Callable) -> bool:
    """Whether `fn` is always called with exactly one positional argument: one parameter,
    no default (f() would be a call of none), no *args, **kwargs or keyword-only ones."""
    code = fn.__code__
    return (code.co_argcount == 1 and not code.co_kwonlyargcount and not fn.__defaults__
            and not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))
