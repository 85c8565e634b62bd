"""`workbench pipeline run` is a thin wrapper: which options reach `run_pipeline`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from workbench.cli.pipeline import command as pipeline_command
from workbench.runner import RunOptions, RunResult
from workbench.spec.model import PipelineSpec


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, project: Path) -> list[tuple[str, RunOptions]]:
    seen: list[tuple[str, RunOptions]] = []

    def fake(
        name: str, options: RunOptions, *, observer: Any = None, while_starting: Any = None
    ) -> RunResult:
        seen.append((name, options))
        return RunResult(name, {}, "FINISHED", project)

    monkeypatch.setattr("workbench.runner.run_pipeline", fake)
    return seen


def test_options_reach_run_pipeline(
    demo: PipelineSpec, calls: list[tuple[str, RunOptions]]
) -> None:
    args = ["run", "demo", "-p", "scale=3", "-p", "threshold=1", "--from", "scaled", "-j", "3"]
    result = CliRunner().invoke(pipeline_command, [*args, "--lineage", "wait"])
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            "demo",
            RunOptions(
                overrides=("scale=3", "threshold=1"),
                from_step="scaled",
                jobs=3,
                lineage="wait",
            ),
        )
    ]
    CliRunner().invoke(pipeline_command, ["run", "demo", "--only", "report", "--no-cache"])
    assert calls[-1][1] == RunOptions(
        only_step="report", no_cache=True, jobs=os.cpu_count(), lineage="background"
    )


def test_missing_pipeline_names_the_spec_file(project: Path) -> None:
    result = CliRunner().invoke(pipeline_command, ["run", "nope"])
    assert result.exit_code != 0
    assert "steps/nope/pipeline.json" in str(result.exception)


def test_a_warning_during_the_run_is_printed_above_the_live_table(demo: PipelineSpec) -> None:
    """On a terminal the step table redraws in place; the staleness line, checked while the
    first step starts, is printed through the same console: whole, above the table, and the
    table's colours still render (no `[yellow]` markup left as text)."""
    import subprocess
    import sys

    parent, child = os.openpty()
    env = {**os.environ, "COLUMNS": "400", "TERM": "xterm"}
    with subprocess.Popen(
        [sys.executable, "-m", "workbench", "pipeline", "run", "demo", "--lineage", "off"],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env=env,
    ) as proc:
        os.close(child)
        chunks = []
        while True:
            try:
                data = os.read(parent, 65536)
            except OSError:  # EIO: the terminal's last writer has gone
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0
    os.close(parent)
    screen = b"".join(chunks).decode(errors="replace")
    warnings = [line for line in screen.splitlines() if "warning: " in line]
    assert len(warnings) == 1, screen  # the notebook pipeline.json names is not there
    before, after = warnings[0].split("warning: ", 1)
    assert after.startswith("cannot tell whether steps/demo/ is stale"), after
    assert before.endswith("\x1b[2K"), repr(before)  # the table erased first, not torn
    assert "\x1b[33m" in screen  # the running state, in colour
    assert "[yellow]" not in screen and "[dim]" not in screen, screen


@pytest.mark.parametrize("args", [["-p", "nope=1"], ["--only", "report"]])
def test_a_run_refused_before_any_step_still_says_whether_the_steps_are_stale(
    demo: PipelineSpec, args: list[str]
) -> None:
    """The staleness line waits for the first steps to start; a run refused before that (a
    parameter the notebook gained after productionize, `--only` without cached inputs) prints
    it with the error, since it may be the reason."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "workbench", "pipeline", "run", "demo", *args, "--lineage", "off"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "warning: cannot tell whether steps/demo/ is stale" in done.stderr, done.stderr
    assert "error: " in done.stderr and done.stderr.count("warning: ") == 1
