"""`python -m monitor.cli` is `tidings`, as `python -m monitor` is."""

from monitor.cli import main

main()
