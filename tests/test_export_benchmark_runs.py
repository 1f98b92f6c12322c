"""The export benchmark runs (tiny N): it builds, exports, checks row counts and reports."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_export_benchmark_smoke():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "export_million.py"), "--items", "3000", "--repeat", "1"],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| tidings export csv | 3,000 |" in proc.stdout
    assert "| tidings export ndjson | 3,000 |" in proc.stdout
    assert "| tidings export csv, first tenth | " in proc.stdout
    assert "x the reference's speed" in proc.stdout
