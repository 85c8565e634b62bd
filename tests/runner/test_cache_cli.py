"""`workbench cache ls|clear` over the store the runner filled."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli.cache import command as cache_command
from workbench.core.errors import WorkbenchError
from workbench.runner import RunOptions, run_pipeline
from workbench.runner.housekeeping import human_age, human_size, parse_age
from workbench.spec.model import PipelineSpec


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cache_command, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_ls_and_clear_older_than(demo: PipelineSpec, project: Path) -> None:
    assert "no cache entries" in invoke("ls")
    result = run_pipeline("demo", RunOptions(lineage="off"))
    out = invoke("ls")
    for name, step in result.steps.items():
        assert name in out and step.key[:12] in out
    assert "summary" in out and " B " in out
    # age one entry by rewriting its record's creation time
    store = project / ".workbench" / "artifacts" / "demo"
    record = store / "load" / result.steps["load"].key / "entry.json"
    raw = json.loads(record.read_text())
    raw["created"] = time.time() - 8 * 86400
    record.write_text(json.dumps(raw))
    assert "8d" in invoke("ls", "--pipeline", "demo")
    assert "removed 1 cache entry" in invoke("clear", "--older-than", "7d")
    assert not (store / "load" / result.steps["load"].key).exists()
    assert (store / "clean" / result.steps["clean"].key / "entry.json").exists()
    assert "removed 0 cache entries" in invoke("clear", "--pipeline", "other")
    assert "removed 4 cache entries" in invoke("clear")
    assert run_pipeline("demo", RunOptions(lineage="off")).executed


def test_incomplete_entries_are_listed_and_cleared(demo: PipelineSpec, project: Path) -> None:
    partial = project / ".workbench" / "artifacts" / "demo" / "load" / ("f" * 64) / "raw"
    partial.mkdir(parents=True)
    (partial / "data.json").write_text("[")
    assert "(incomplete)" in invoke("ls")
    # young incomplete entries may belong to a run in progress: --older-than keeps them
    assert "removed 0" in invoke("clear", "--older-than", "1h")
    old = time.time() - 7200
    os.utime(partial.parent, (old, old))
    assert "removed 1 cache entry" in invoke("clear", "--older-than", "1h")


def test_age_and_size_texts() -> None:
    assert parse_age("7d") == 7 * 86400 and parse_age("90s") == 90 and parse_age("1.5h") == 5400
    with pytest.raises(WorkbenchError, match="--older-than 'soon'"):
        parse_age("soon")
    assert human_size(512) == "512 B" and human_size(2048) == "2.0 KB"
    assert human_age(30) == "30s" and human_age(7200) == "2h"
