"""Detection speed of several checkouts of Tidings, timed in turns on the same pages.

    python bench/detection_checkouts.py CHECKOUT [CHECKOUT ...] [--rounds N] [--min-bytes B]

For each checkout (a directory holding a version of this repository: a git
worktree of another commit), in turns, round after round: automatic
`extract()` of every web-corpus page over `--min-bytes` (of THIS checkout's
corpus, so every version reads the same pages), and a bare lxml parse of
the same pages; the ratio of the two sums (fastest of three passes each),
and its median over the rounds.  A single run of bench/extraction_speed.py
moves a page's ratio by up to a third on a shared machine; timing the
versions in turns puts the same load on each.  Still, two identical
checkouts came out 6% apart in one run of three rounds (5.63 and 5.96):
read a difference under about a tenth as noise, or name the same checkout
twice to see the noise of the moment.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_ONE_ROUND = r'''
import json, sys, time
from pathlib import Path
checkout, corpus, min_bytes = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, str(checkout))
from lxml import etree
from scraper.extract import extract
labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
pages = [((corpus / n).read_bytes().decode(l.get("encoding", "utf-8"), errors="replace"), l["url"])
         for n, l in labels.items() if (corpus / n).stat().st_size > min_bytes]
for text, url in pages:
    extract(text, url, None)
parser = etree.HTMLParser(recover=True, huge_tree=True, remove_comments=True)
detect, parse = [], []
for _ in range(3):
    start = time.process_time()
    for text, url in pages:
        extract(text, url, None)
    detect.append(time.process_time() - start)
    start = time.process_time()
    for text, url in pages:
        etree.fromstring(text, parser)
    parse.append(time.process_time() - start)
print(json.dumps({"detect": min(detect), "parse": min(parse), "pages": len(pages)}))
'''


def one_round(checkout: Path, min_bytes: int) -> dict:
    """One timed pass of a checkout, in a process of its own (its own modules, its own caches)."""
    done = subprocess.run([sys.executable, "-c", _ONE_ROUND, str(checkout), str(ROOT / "tests" / "corpus" / "web"),
                           str(min_bytes)], capture_output=True, text=True, cwd=checkout)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def option(argv: list[str], name: str, default: int) -> int:
    if name not in argv:
        return default
    index = argv.index(name)
    try:
        value = int(argv[index + 1])
    except (IndexError, ValueError):
        raise SystemExit(f"{name} takes a whole number") from None
    del argv[index:index + 2]
    return value


def main(argv: list[str]) -> int:
    argv = list(argv)
    rounds, min_bytes = option(argv, "--rounds", 3), option(argv, "--min-bytes", 100_000)
    checkouts = [Path(a).resolve() for a in argv]
    missing = [str(c) for c in checkouts if not (c / "scraper" / "extract.py").is_file()]
    if not checkouts or missing:
        raise SystemExit(f"not a checkout of Tidings: {', '.join(missing)}" if missing else __doc__)
    # By place in the list, not by path: a checkout named twice (to see the noise)
    # keeps two series of rounds, not one merged.
    ratios: list[list[float]] = [[] for _ in checkouts]
    for n in range(rounds):
        for checkout, series in zip(checkouts, ratios):
            got = one_round(checkout, min_bytes)
            series.append(got["detect"] / got["parse"])
            print(f"round {n + 1}  {checkout}  {got['pages']} pages  detection {got['detect']:.2f} s  "
                  f"parse {got['parse']:.3f} s  ratio {series[-1]:.2f}", flush=True)
    for checkout, series in zip(checkouts, ratios):
        print(f"{checkout}: median ratio of sums {statistics.median(series):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
