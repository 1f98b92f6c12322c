"""Start-up cost of article extraction: what a command pays that never follows an article.

`scraper.article` imports trafilatura, htmldate and py3langid on first use.
Each case runs in a fresh child process (so nothing is cached in memory
between them), the cases interleaved round by round; the figure is the
median wall time of the child's work, measured inside the child, in
milliseconds, and its ratio to the reference: importing scraper.text and
scraper.encoding, the two project modules scraper.article itself imports.

    python bench/article_startup.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAGE = "<html lang=en><head><title>T</title></head><body><article><p>" + "A sentence of an article. " * 30 + "</p></article></body></html>"

CASES = {
    "reference: import scraper.text, scraper.encoding": "import scraper.text, scraper.encoding",
    "import scraper.article": "import scraper.article",
    "import trafilatura, htmldate, py3langid": "import trafilatura, htmldate, py3langid",
    "import scraper.article + first extract_article": (
        f"import scraper.article as a; a.extract_article({PAGE!r}, 'https://example.org/a')"
    ),
    "... of which the second extract_article": None,
}


def child(code: str) -> float:
    """Seconds the child spends running `code` (interpreter start-up excluded)."""
    script = f"import time; s = time.perf_counter(); {code}; print(time.perf_counter() - s)"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def second_call() -> float:
    """Seconds of a second extraction in one process, after the first has loaded everything."""
    script = (
        f"import time, scraper.article as a; a.extract_article({PAGE!r}, 'https://example.org/a');"
        f"s = time.perf_counter(); a.extract_article({PAGE!r}, 'https://example.org/b'); print(time.perf_counter() - s)"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):
        for name, code in CASES.items():
            times[name].append(child(code) if code else second_call())
    reference = statistics.median(times[next(iter(CASES))])
    print(f"{'median of ' + str(args.repeat) + ' fresh processes':52} {'ms':>8} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:52} {median * 1000:8.1f} {median / reference:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
