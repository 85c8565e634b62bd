"""What the user sees: live step states (rich), a closing summary, and failing steps' log tails.

On a terminal a live table redraws as steps change state; elsewhere (CI logs, pipes) one line is
printed per finished step. The live view is refreshed by the scheduler's own calls, never by a
background thread, so step processes are forked from a single-threaded runner.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core import clock
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
# the last line of a failed step's log: "step NAME failed at notebooks/x.ipynb, cell N ..."
FAILED_AT = re.compile(r"^step \S+ failed at ")


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
        return f"running {clock.monotonic() - run.started:.1f} s"
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
            tail = log_tail(run.log)
            for line in tail:
                console.print("  " + line, markup=False, highlight=False, soft_wrap=True)
            console.print(f"full log: {run.log}", highlight=False, soft_wrap=True)
            # the step's last words name the notebook cell and line (workbench.runtime.tracebacks)
            where = next((ln for ln in reversed(tail) if FAILED_AT.match(ln)), None)
            if where is not None:
                console.print(
                    where, style="bold red", markup=False, highlight=False, soft_wrap=True
                )
    if result.lineage_error:
        console.print(f"[yellow]warning:[/] {result.lineage_error}", highlight=False)
    for line in _outcome(result):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _outcome(result: RunResult) -> list[str]:
    """Metrics, models and promotion decisions the executed steps reported, with MLflow links."""
    import os

    from workbench.core.settings import settings
    from workbench.core.step_report import read_report
    from workbench.runner.outcome import outcome_lines, ui_base

    steps = [(r.name, read_report(r.report)) for r in result.steps.values() if r.report]
    lines = outcome_lines(
        steps,
        base=ui_base(settings().tracking_uri, os.environ),
        parent_run_id=result.parent_run_id,
        experiment_id=result.experiment_id,
    )
    cached = [r.name for r in result.steps.values() if r.status == CACHED]
    if cached and not any(events for _, events in steps):
        lines.insert(0, f"cached steps ({', '.join(cached)}) logged nothing new this time")
    return lines
