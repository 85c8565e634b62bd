"""What a pipeline step tells the runner's summary: metrics logged, models, promotion decisions.

The local runner gives each step process `WORKBENCH_STEP_REPORT` (a file in the run's log
folder); workbench.tracking appends one JSON object a line as the step logs metrics, registers a
model or runs the promotion gate; the runner reads the file when the step ends. The summary so
shows what happened without the runner importing mlflow or querying the store. Outside the
local runner (a notebook, an Argo pod) the variable is unset and nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPORT_ENV = "WORKBENCH_STEP_REPORT"


def report(kind: str, **fields: Any) -> None:
    """Append one event for the runner; never fails the step (the report is advice)."""
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"kind": kind, **fields}, default=str, sort_keys=True) + "\n")
    except OSError:
        pass


def read_report(path: str | Path | None) -> list[dict[str, Any]]:
    """The events of one step, in order; a missing file or a torn last line is skipped."""
    if path is None:
        return []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events
