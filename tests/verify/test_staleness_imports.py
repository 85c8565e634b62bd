"""`pipeline run`'s staleness line compares steps/NAME/ alone: it must not pay for the
manifests' emitters (hera, ~0.5 s of import before every local run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

MANIFEST_MODULES = ("hera", "workbench.emit.argo.emit", "workbench.emit.serving.emit")


def _check(steps_only: bool) -> list[str]:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from workbench.verify.staleness import pipeline_staleness\n"
        f"report = pipeline_staleness(Path({str(REPO)!r}), 'train', steps_only={steps_only})\n"
        "assert report.checked, report.reason\n"
        "print(report.stale, *[m for m in sys.argv[1:] if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *MANIFEST_MODULES],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_the_steps_only_check_imports_no_manifest_emitter() -> None:
    assert _check(steps_only=True) == ["False"]
    # the whole check (productionize --check, pipeline submit) renders the manifests too
    assert _check(steps_only=False) == ["False", *MANIFEST_MODULES]
