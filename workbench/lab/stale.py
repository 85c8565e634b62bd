"""Whether `steps/NAME` still is what the notebook generates.

The same logic as `workbench productionize --check` (it is that function, writing nothing):
the generated files differ, or the last verification no longer vouches for the notebook.
One small function, so a shared staleness check can replace it without touching callers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.cli.productionize import productionize
from workbench.compiler import CompileError
from workbench.core.errors import WorkbenchError


def steps_staleness(notebook: Path, root: Path, name: str) -> dict[str, Any]:
    """{"generated": steps/NAME exists, "stale": bool, "files": the differing files,
    "message": why (or ""), "verification": why the last --verify no longer holds (or "")}."""
    generated = (root / "steps" / name / "pipeline.json").is_file()
    if not generated:
        message = f"steps/{name} not generated yet: run productionize"
        return {
            "generated": False,
            "stale": True,
            "files": [],
            "message": message,
            "verification": "",
        }
    try:
        # its echo of the compiler's notes goes to the server log (redirecting stderr here
        # would swallow other threads' output too); the panel has them as diagnostics
        outcome = productionize(notebook, check=True, root=root)
    except (CompileError, WorkbenchError) as exc:
        return {
            "generated": True,
            "stale": True,
            "files": [],
            "message": str(exc),
            "verification": "",
        }
    files = sorted(
        {
            line[6:].rstrip()
            for line in outcome.diff.splitlines()
            if line.startswith(("--- a/", "+++ b/"))
        }
    )
    message = ""
    if outcome.diff:
        message = f"{len(files)} generated files differ from the notebook: run productionize"
    return {
        "generated": True,
        "stale": bool(outcome.diff),
        "files": files,
        "message": message,
        # the last --verify verdict no longer vouching for the notebook (not staleness of steps/)
        "verification": "; ".join(outcome.messages),
    }
