"""benchmarks/tracking.py runs end to end (a tiny run count), so it cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_tracking_benchmark_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "tracking.py"), "--runs", "3"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for way in ("workbench", "fluent", "log_batch"):
        assert re.search(rf"^  {way} +[0-9.]+ ms/run$", done.stdout, re.M), done.stdout
    assert re.search(r"workbench / fluent += [0-9.]+x", done.stdout)
    assert re.search(r"workbench / log_batch += [0-9.]+x", done.stdout)
