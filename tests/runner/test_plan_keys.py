"""Pure parts: parameter overrides, the plan for --from/--only, data-file digests, tracking use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runner.conftest import step_module
from workbench.core.errors import WorkbenchError
from workbench.core.hashing import sha256_file
from workbench.runner.keys import _refers_to_tracking, data_file_digest
from workbench.runner.plan import RunOptions, parse_overrides, plan_run
from workbench.spec.model import PipelineSpec


def test_overrides_are_parsed_with_the_declared_type(demo: PipelineSpec) -> None:
    assert parse_overrides(demo, ["scale=3", "threshold=7", "data_path=007"]) == {
        "scale": 3.0,
        "threshold": 7,
        "data_path": "007",
    }
    with pytest.raises(WorkbenchError, match="-p scale given twice"):
        parse_overrides(demo, ["scale=1", "scale=2"])
    with pytest.raises(
        WorkbenchError, match=r"pipeline demo: parameter scale: 'x' is not a valid float"
    ):
        parse_overrides(demo, ["scale=x"])


def test_plan_for_from_only_and_no_cache(demo: PipelineSpec) -> None:
    plan = plan_run(demo, RunOptions(overrides=("scale=3",)))
    assert plan.forced == frozenset() and plan.param_texts["scale"] == "3.0"
    assert plan_run(demo, RunOptions(from_step="clean")).forced == {
        "clean",
        "stats",
        "scaled",
        "report",
    }
    only = plan_run(demo, RunOptions(only_step="scaled"))
    assert only.steps == ("load", "clean", "scaled")
    assert only.forced == {"scaled"} and only.required_cached == {"load", "clean"}
    assert plan_run(demo, RunOptions(no_cache=True)).forced == set(
        demo.steps[i].name for i in range(5)
    )
    with pytest.raises(WorkbenchError, match="cannot be combined"):
        plan_run(demo, RunOptions(from_step="load", only_step="report"))


def test_a_parameter_naming_a_file_contributes_its_content(project: Path) -> None:
    data = project / "data.csv"
    data.write_text("a,b\n1,2\n")
    assert data_file_digest(project, "data.csv") == sha256_file(data)
    assert data_file_digest(project, str(data)) == sha256_file(data)
    assert data_file_digest(project, "missing.csv") is None
    assert data_file_digest(project, "0.25") is None
    assert data_file_digest(project, ".") is None  # a folder is not a file


def test_tracking_use_is_found_by_name_not_by_import() -> None:
    assert _refers_to_tracking(step_module("fit", "tracked"))
    assert not _refers_to_tracking(step_module("load", "demo"))
    # the import cell copied into every step: only a step that uses `wbt` waits for its run
    unused = "import workbench.tracking as wbt\n\ndef f():\n    return 1\n"
    assert not _refers_to_tracking(unused)
    assert _refers_to_tracking(unused + "\nwbt.set_experiment('x')\n")
    assert _refers_to_tracking("from mlflow import log_metric\nlog_metric('a', 1)\n")


def test_a_password_in_a_parameter_never_reaches_an_error_message(demo: PipelineSpec) -> None:
    with pytest.raises(WorkbenchError) as info:
        parse_overrides(demo, ["threshold=postgresql://me:hunter2@db/x"])
    assert "hunter2" not in str(info.value) and "me:***@" in str(info.value)
