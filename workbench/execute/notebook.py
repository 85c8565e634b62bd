"""Reading a notebook up front (so bad input fails before a run exists) and locating a failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.execute.errors import NotebookInputError

# Cells papermill adds to the executed copy; skipping them maps an index back to the source.
PAPERMILL_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})


def read_notebook(path: Path) -> Any:
    """The notebook as an nbformat v4 node; a missing, non-JSON or invalid file is a clear error."""
    import nbformat

    if not path.is_file():
        raise NotebookInputError(f"{path}: notebook not found")
    if path.suffix != ".ipynb":
        raise NotebookInputError(f"{path}: not a notebook (expected a .ipynb file)")
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookInputError(f"{path}: not a valid .ipynb file: {exc}") from exc
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several unrelated types for a malformed document
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookInputError(f"{path}: not a valid .ipynb file: {first_line}") from exc
    return nb


@dataclass(frozen=True)
class CellFailure:
    """Where a notebook failed: `index` is 0-based over the user's own cells (markdown included,
    papermill's injected cells not counted), so it matches the notebook as the user sees it."""

    index: int | None
    cell_id: str | None
    execution_count: int | None
    ename: str
    evalue: str

    def describe(self) -> str:
        error = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        if self.index is None:
            return f"execution failed: {error}"
        where = f"cell {self.index}" + (f" (id {self.cell_id!r})" if self.cell_id else "")
        return f"{where} failed: {error}"


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def find_failure(executed: Any) -> CellFailure | None:
    """The first cell of an executed notebook with an error output (ignoring `sys.exit(0)`)."""
    index = -1
    for cell in executed.cells:
        if _tags(cell) & PAPERMILL_TAGS:
            continue
        index += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0"):
                continue
            return CellFailure(
                index=index,
                cell_id=cell.get("id"),
                execution_count=cell.get("execution_count"),
                ename=str(output.get("ename", "")),
                evalue=str(output.get("evalue", "")),
            )
    return None
