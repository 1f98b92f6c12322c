"""The whole benchmark suite (not part of the tests): `python -m bench.run_all [--quick]`.

Prints the tables that docs/benchmarks.md reports.  Needs PyPI once, to
install urlwatch into the benchmark's own venv; the big archive for the
scaling benchmark is built once (a few minutes) and cached, both under
$TIDINGS_BENCH_CACHE (default ~/.cache/tidings-bench).
"""

from __future__ import annotations

import argparse
import sys

from bench import archive_scaling, crawl, extraction_speed, follow_cost


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a check, not figures")
    args = parser.parse_args(argv)
    if args.quick:
        crawl.main(["--sizes", "20", "--repeats", "1"])
        archive_scaling.main(["--items", "2000", "--sightings", "20000", "--sources", "5", "--repeats", "1"])
        extraction_speed.main(["--repeat", "3"])
        follow_cost.main(["--sources", "20", "--repeats", "1"])
        return
    crawl.main(["--sizes", "200,1000", "--repeats", "3"])
    archive_scaling.main([])
    extraction_speed.main(["--repeat", "50"])
    follow_cost.main(["--sources", "200", "--repeats", "5"])


if __name__ == "__main__":
    sys.exit(main())
