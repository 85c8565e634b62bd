"""The import rules in pyproject.toml ([tool.importlinter]) hold: mlflow only in the tracking
package and the serving loader, hera only in the Argo emitter, no package importing a layer
above it. `make lint` runs the same check; this keeps it in every pytest run too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout
