"""Compiler diagnostics: every problem names the notebook, the cell (number and id), the line,
the name involved, and a hint. Errors are collected, not raised one at a time, so a user sees
every problem of a notebook in one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.errors import WorkbenchError


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning" | "note"
    notebook: str
    message: str
    cell: int | None = None  # notebook cell index (0-based, as nbformat counts)
    cell_id: str = ""
    line: int | None = None  # 1-based line within the cell
    name: str = ""
    hint: str = ""

    def render(self) -> str:
        where = self.notebook
        if self.cell is not None:
            where += f": cell {self.cell}"
            if self.cell_id:
                where += f" (id {self.cell_id})"
            if self.line is not None:
                where += f", line {self.line}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


@dataclass
class Diagnostics:
    """An ordered collector; `raise_if_errors` turns the errors into one CompileError."""

    notebook: str
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, severity: str, message: str, **where: object) -> None:
        self.items.append(Diagnostic(severity, self.notebook, message, **where))  # type: ignore[arg-type]

    def error(self, message: str, **where: object) -> None:
        self.add("error", message, **where)

    def warning(self, message: str, **where: object) -> None:
        self.add("warning", message, **where)

    def note(self, message: str, **where: object) -> None:
        self.add("note", message, **where)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise CompileError(self.errors)


class CompileError(WorkbenchError):
    """The notebook cannot be compiled; the message lists every error (exit code 2)."""

    exit_code = 2

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        # notebook order: file-level problems first, then by cell and line
        diagnostics = sorted(
            diagnostics, key=lambda d: (-1 if d.cell is None else d.cell, d.line or 0)
        )
        self.diagnostics = diagnostics
        count = len(diagnostics)
        head = f"cannot productionize: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([head, *(d.render() for d in diagnostics)]))
