"""Errors of notebook execution: bad input (exit 2) versus a notebook that ran and failed (exit 1)."""

from __future__ import annotations

from workbench.core.errors import WorkbenchError


class NotebookInputError(WorkbenchError):
    """The notebook or its parameters are unusable: nothing was executed, no run is left open."""

    exit_code = 2


class NotebookFailed(WorkbenchError):
    """A cell raised: the run is FAILED and the executed notebook is stored as its artifact."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        run_id: str,
        cell_index: int | None,
        cell_id: str | None,
        ename: str,
        evalue: str,
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.cell_index = cell_index
        self.cell_id = cell_id
        self.ename = ename
        self.evalue = evalue
