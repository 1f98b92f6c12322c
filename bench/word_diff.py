"""Speed of word diffs (monitor.wordiff), as a ratio to plain difflib on the same tokens.

    python -m bench.word_diff [--repeat N] [--json FILE]

Texts: README.md's words (real prose), the first N words for each size, with
one word in 50 replaced ("scattered edits", the hard case: the whole text
is the changed middle) and with one word replaced in the middle ("one
edit", the usual case: a correction).  Reference, measured in the same run:
difflib.SequenceMatcher(autojunk=False) over the same word/space/punctuation
tokens, which is what a word diff without bounds does; it is skipped where
one call would take minutes.  CPU time (time.process_time), median of
--repeat runs.  Reported: milliseconds and the ratio wordiff / reference.
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from monitor import wordiff  # noqa: E402

SIZES = (100, 300, 1000, 3000, 9000)
REFERENCE_MAX_WORDS = 3000  # beyond, one reference call takes tens of seconds


def texts(words: list[str], n: int, scattered: bool) -> tuple[str, str]:
    old = words[:n]
    new = list(old)
    for i in range(0, n, 50) if scattered else (n // 2,):
        new[i] = "changed"
    return " ".join(old), " ".join(new)


def cpu(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def reference(old: str, new: str) -> None:
    a, b = wordiff.tokens(old), wordiff.tokens(new)
    difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=SIZES)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    words = (ROOT / "README.md").read_text(encoding="utf-8").split()
    rows = []
    print(f"{'case':<16} {'words':>6} {'wordiff ms':>11} {'difflib ms':>11} {'ratio':>7}")
    for scattered in (False, True):
        case = "scattered edits" if scattered else "one edit"
        for n in args.sizes:
            n = min(n, len(words))
            old, new = texts(words, n, scattered)
            ours = cpu(lambda: wordiff.diff(old, new), args.repeat)
            ref = cpu(lambda: reference(old, new), args.repeat) if n <= REFERENCE_MAX_WORDS else None
            ratio = ours / ref if ref else None
            rows.append({"case": case, "words": n, "wordiff_ms": ours * 1000,
                         "difflib_ms": ref * 1000 if ref is not None else None, "ratio": ratio})
            ref_text = f"{ref * 1000:11.1f}" if ref is not None else f"{'-':>11}"
            ratio_text = f"{ratio:7.2f}" if ratio is not None else f"{'-':>7}"
            print(f"{case:<16} {n:>6} {ours * 1000:11.1f} {ref_text} {ratio_text}")
    if args.json:
        args.json.write_text(json.dumps({"results": rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
