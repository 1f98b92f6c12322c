"""urlwatch, the best-known peer, set up to watch the fixture pages.

urlwatch is installed from PyPI into the benchmark's own virtual
environment (never the project's), kept under $TIDINGS_BENCH_CACHE
(default ~/.cache/tidings-bench) so repeated benchmark runs reuse it.  Each
page is one job with a css filter selecting the item links; its cache
database and config live in the run's temporary folder.

urlwatch runs jobs on a thread pool of 10 (a module constant); a hooks file
raises it to 16 so it asks as many pages at once as Tidings and the floor.
It sends If-None-Match when it holds an ETag, as Tidings does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.site import ITEM_LINK_CSS

URLWATCH_VERSION = "2.29"
PARALLEL = 16


def cache_dir() -> Path:
    return Path(os.environ.get("TIDINGS_BENCH_CACHE") or Path.home() / ".cache" / "tidings-bench")


def venv_bin() -> Path:
    return cache_dir() / "urlwatch-venv" / "bin"


def installed() -> bool:
    return (venv_bin() / "urlwatch").exists()


def ensure_urlwatch() -> Path:
    """The urlwatch executable, installing it into the benchmark venv if needed."""
    if not installed():
        venv = cache_dir() / "urlwatch-venv"
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"urlwatch=={URLWATCH_VERSION}", "cssselect", "lxml"],
                       check=True)
    return venv_bin() / "urlwatch"


def write_setup(folder: Path, urls: list[str]) -> list[str]:
    """Jobs, config, hooks and cache paths in `folder`; the command to run urlwatch."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = "".join(
        f"---\nname: page {i}\nurl: {url}\nfilter:\n  - css: '{ITEM_LINK_CSS}'\n" for i, url in enumerate(urls)
    )
    (folder / "urls.yaml").write_text(jobs)
    (folder / "urlwatch.yaml").write_text(
        "display:\n  new: true\n  error: true\n  unchanged: false\n  empty-diff: false\n"
        "report:\n  stdout:\n    enabled: true\n    color: false\n"
    )
    hooks = folder / "hooks.py"
    hooks.write_text(f"import urlwatch.worker\nurlwatch.worker.MAX_WORKERS = {PARALLEL}\n")
    hooks.chmod(0o600)
    return [str(ensure_urlwatch()), "--urls", str(folder / "urls.yaml"), "--config", str(folder / "urlwatch.yaml"),
            "--hooks", str(hooks), "--cache", str(folder / "cache.db")]


def environment(folder: Path) -> dict:
    """Keep urlwatch's own files (keyring, config dirs) inside the run folder."""
    return {"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / "config"), "XDG_CACHE_HOME": str(folder / "cache")}
