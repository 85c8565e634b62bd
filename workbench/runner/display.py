"""What the user sees: live step states (rich), a closing summary, and failing steps' log tails.

On a terminal a live table redraws as steps change state; elsewhere (CI logs, pipes) one line is
printed per finished step. The live view is refreshed by the scheduler's own calls, never by a
background thread, so step processes are forked from a single-threaded runner.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.runner.execute import BLOCKED, CACHED, DONE, FAILED, RUNNING, RunResult, StepRun

if TYPE_CHECKING:
    from rich.console import Console

STYLES = {
    "pending": "dim",
    RUNNING: "yellow",
    CACHED: "cyan",
    DONE: "green",
    FAILED: "bold red",
    BLOCKED: "magenta",
}
TAIL_LINES = 20


def log_tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for line in deque(fh, maxlen=lines)]
    except OSError:
        return []


class Progress:
    """An observer for `run_pipeline`: call `close()` once the run has returned."""

    def __init__(self, steps: list[str], console: Console | None = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.steps = {name: StepRun(name) for name in steps}
        self.live: Any = None
        if self.console.is_terminal:
            from rich.live import Live

            self.live = Live(
                self._table(), console=self.console, auto_refresh=False, transient=True
            )
            self.live.start()

    def __call__(self, run: StepRun) -> None:
        self.steps[run.name] = run
        if self.live is not None:
            self.live.update(self._table(), refresh=True)
        elif run.status != RUNNING:
            self.console.print(f"{run.name}: {_state(run)}", highlight=False)

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, show_header=False)
        for run in self.steps.values():
            table.add_row(run.name, f"[{STYLES.get(run.status, '')}]{_state(run)}")
        return table

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _state(run: StepRun) -> str:
    if run.status == RUNNING:
        return f"running {time.monotonic() - run.started:.1f} s"
    if run.status == DONE:
        return f"done in {run.seconds:.2f} s"
    if run.status == FAILED:
        return f"FAILED ({run.error})"
    if run.status == BLOCKED:
        return "not run: an upstream step failed"
    return run.status


def print_summary(result: RunResult, console: Console) -> None:
    """The closing table, then each failed step's exit code, log tail and log path."""
    from rich.table import Table

    table = Table(title=f"pipeline {result.pipeline}: {result.status.lower()}")
    for column in ("step", "status", "cached", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for run in result.steps.values():
        table.add_row(
            run.name,
            f"[{STYLES.get(run.status, '')}]{run.status}",
            "yes" if run.status == CACHED else "no",
            f"{run.seconds:.2f}",
        )
    console.print(table)
    for run in result.steps.values():
        if run.note:
            console.print(f"[yellow]note:[/] step {run.name}: {run.note}", highlight=False)
    for run in result.steps.values():
        if run.status != FAILED:
            continue
        console.print(f"[bold red]step {run.name} failed[/] ({run.error})", highlight=False)
        if run.log is not None:
            console.print(f"last {TAIL_LINES} lines of {run.log}:", highlight=False, soft_wrap=True)
            for line in log_tail(run.log):
                console.print("  " + line, markup=False, highlight=False, soft_wrap=True)
            console.print(f"full log: {run.log}", highlight=False, soft_wrap=True)
    if result.lineage_error:
        console.print(f"[yellow]warning:[/] {result.lineage_error}", highlight=False)
    if result.parent_run_id:
        console.print(f"MLflow run: {result.parent_run_id}", highlight=False)
