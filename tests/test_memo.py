"""scraper.memo.string_memo: remembered answers for functions of strings, bounded in memory."""

from __future__ import annotations

from scraper.memo import LONG, string_memo


def test_a_one_argument_function_is_remembered_and_a_long_string_is_not():
    calls = []

    @string_memo(8)
    def shout(text):
        calls.append(text)
        return text.upper()

    assert shout("news") == "NEWS" and shout("news") == "NEWS"
    long = "x" * (LONG + 1)
    assert shout(long) == long.upper() and shout(long) == long.upper()
    assert calls == ["news", long, long]
    assert shout.cache_info().currsize == 1


def test_a_function_with_a_default_can_be_called_without_its_argument():
    """Reviewer's finding: the one-argument fast path took `def f(s=''): ...` for a
    function always called with one argument, and `f()` raised TypeError."""
    @string_memo(8)
    def words(text=""):
        return len(text.split())

    assert words() == 0
    assert words("two words") == 2 and words("two words") == 2 and words.cache_info().hits == 1


def test_functions_of_several_strings_and_of_star_args_are_remembered():
    @string_memo(8)
    def joined(*parts):
        return "/".join(parts)

    @string_memo(8)
    def pair(a, b=None):
        return f"{a}:{b}"

    assert joined("a", "b") == "a/b" and joined() == "" and joined("a", "b") == "a/b"
    assert pair("x") == "x:None" and pair("x", "y") == "x:y"
    assert joined.cache_info().hits == 1
