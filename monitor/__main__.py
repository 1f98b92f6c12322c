"""`python -m monitor` is `tidings`."""

from monitor.cli import main

main()
