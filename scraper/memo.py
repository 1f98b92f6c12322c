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

from functools import lru_cache, wraps
from typing import Callable, TypeVar

LONG = 512

F = TypeVar("F", bound=Callable)
_VARARGS = 0x04  # CO_VARARGS: a function taking *args


def string_memo(maxsize: int) -> Callable[[F], F]:
    """lru_cache(maxsize) for a function of strings (and None), passing over any call with a string longer than LONG."""
    def wrap(fn: F) -> F:
        cached = lru_cache(maxsize=maxsize)(fn)

        if fn.__code__.co_argcount == 1 and not fn.__code__.co_flags & _VARARGS:
            # One string: most memos (class attributes, dates, link texts), called per
            # element, so without the loop over arguments.
            @wraps(fn)
            def call(arg):
                if arg is not None and len(arg) > LONG:
                    return fn(arg)
                return cached(arg)
        else:
            @wraps(fn)
            def call(*args):
                for arg in args:
                    if arg is not None and len(arg) > LONG:
                        return fn(*args)
                return cached(*args)

        @wraps(fn)
        def call_one(arg):
            # The one-string case (most memos), without the loop: called hundreds of times a page.
            if arg is not None and len(arg) > LONG:
                return fn(arg)
            return cached(arg)

        code = fn.__code__
        one = code.co_argcount == 1 and not code.co_kwonlyargcount and not code.co_flags & 0x0C  # no *args, **kwargs
        chosen = call_one if one else call
        chosen.cache_clear = cached.cache_clear
        chosen.cache_info = cached.cache_info
        return chosen  # type: ignore[return-value]
    return wrap
