"""The verification verdict stored in `steps/NAME/pipeline.json` ("verification"), and the
staleness check `productionize --check` runs against it.

Deterministic: no timestamps, no paths, no run ids; the notebook is identified by a digest of
what it computes (each cell's type, tags and source; outputs and execution counts excluded, so
re-running the notebook in JupyterLab does not make the verdict stale).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from workbench.spec.model import PipelineSpec
from workbench.spec.params import param_text
from workbench.verify.compare import ATOL, RTOL


def notebook_digest(path: Path) -> str:
    raw = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        [
            cell.get("cell_type", ""),
            sorted(cell.get("metadata", {}).get("tags", [])),
            "".join(cell["source"])
            if isinstance(cell.get("source"), list)
            else cell.get("source", ""),
        ]
        for cell in raw.get("cells", [])
    ]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def previous_verification(root: Path, name: str) -> dict[str, Any]:
    """The verdict in the pipeline.json on disk ({} when none or unreadable)."""
    path = root / "steps" / name / "pipeline.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("verification", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return found if isinstance(found, dict) else {}


def staleness(verification: dict[str, Any], notebook: Path, label: str) -> str | None:
    """Why the recorded verdict does not vouch for the notebook as it is now (None: it does)."""
    if not verification:
        return f"{label} has never been verified: run `workbench productionize {label} --verify`"
    if verification.get("notebook_sha256") != notebook_digest(notebook):
        return (
            f"{label} changed after the last verification: run "
            f"`workbench productionize {label} --verify`"
        )
    if verification.get("status") != "equal":
        return f"the last verification of {label} failed: fix the notebook and run --verify"
    return None


def build_verdict(
    spec: PipelineSpec,
    notebook: Path,
    results: dict[str, dict[str, str]],
    runtime_outputs: list[dict[str, Any]],
    problems: list[str],
    tolerant: bool,
) -> dict[str, Any]:
    """results: step -> output -> "equal" | "equal within tolerance" | the difference."""
    steps: dict[str, Any] = {}
    for step in spec.steps:
        outputs = results.get(step.name, {})
        ok = all(v.startswith("equal") for v in outputs.values()) and step.name in results
        steps[step.name] = {
            "outputs": dict(sorted(outputs.items())),
            "result": "equal" if ok else "differs",
        }
    status = (
        "equal"
        if not problems and all(s["result"] == "equal" for s in steps.values())
        else "differs"
    )
    verdict: dict[str, Any] = {
        "notebook_sha256": notebook_digest(notebook),
        "parameters": {p.name: param_text(p.type, p.default) for p in spec.parameters},
        "problems": sorted(problems),
        "runtime_outputs": sorted(
            runtime_outputs, key=lambda o: (o["step"], o["name"], o["reader"])
        ),
        "status": status,
        "steps": steps,
    }
    if tolerant:
        verdict["tolerance"] = {"atol": ATOL, "rtol": RTOL}
    return verdict
