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

    def fake(name: str, options: RunOptions, *, observer: Any = None) -> RunResult:
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
