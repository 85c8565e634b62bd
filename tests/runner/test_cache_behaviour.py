"""The runner's cache decisions: hits, and exactly which steps re-run after each kind of change."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.runner.conftest import ran
from workbench.core.errors import WorkbenchError
from workbench.runner import RunOptions, run_pipeline
from workbench.runtime import read_value
from workbench.spec.model import PipelineSpec

ALL = ["load", "clean", "stats", "scaled", "report"]


def run(*overrides: str, **options: Any) -> Any:
    return run_pipeline("demo", RunOptions(overrides=overrides, lineage="off", **options))


def summary(result: Any, project: Path) -> Any:
    from workbench.core.settings import settings
    from workbench.runner.store import ArtifactStore

    store = ArtifactStore(settings().artifact_store)
    return read_value(store.output_uri("demo", "report", result.steps["report"].key, "summary"))


def test_second_identical_run_is_all_hits_and_starts_no_process(
    demo: PipelineSpec, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run()
    assert first.ok and sorted(first.executed) == sorted(ALL)
    assert sorted(ran(project)) == sorted(ALL)
    assert summary(first, project) == {"total": 5.0, "above": 3}  # 2,4,6,8,10 > 5

    started: list[object] = []
    real = subprocess.Popen

    def counting(*args: Any, **kwargs: Any) -> Any:
        started.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting)
    second = run()
    assert second.ok
    assert [s.status for s in second.steps.values()] == ["cached"] * 5
    assert started == [] and ran(project) == []
    assert {n: s.key for n, s in second.steps.items()} == {n: s.key for n, s in first.steps.items()}


@pytest.mark.slow
def test_parameter_change_reruns_exactly_its_users_and_their_dependants(
    demo: PipelineSpec, project: Path
) -> None:
    run()
    ran(project)
    result = run("scale=3")
    assert sorted(result.executed) == ["report", "scaled"]
    assert summary(result, project) == {"total": 5.0, "above": 4}  # 3,6,9,12,15 > 5
    ran(project)
    result = run("scale=3", "threshold=10")
    assert result.executed == ["report"]
    assert summary(result, project) == {"total": 5.0, "above": 2}
    # back to the defaults: everything is still cached
    assert run().executed == []


@pytest.mark.slow
def test_helper_edit_reruns_exactly_the_steps_whose_code_uses_it(
    demo: PipelineSpec, project: Path
) -> None:
    run()
    helpers = project / "steps" / "demo" / "_helpers.py"
    text = helpers.read_text()
    # a comment inside multiply: scaled's code changed, its output did not, so report is a hit
    helpers.write_text(
        text.replace("    return value * factor", "    # why\n    return value * factor")
    )
    assert run().executed == ["scaled"]
    # _round is reached only through summarise: only stats re-runs
    helpers.write_text(helpers.read_text().replace("round(value, 3)", "round(value, 2)"))
    assert run().executed == ["stats"]
    # an edit to the step module itself
    module = project / "steps" / "demo" / "clean.py"
    module.write_text(module.read_text().replace("# %% cell", "# %% cell (edited)"))
    assert run().executed == ["clean"]


@pytest.mark.slow
def test_one_byte_of_data_reruns_everything_downstream_of_loading(
    demo: PipelineSpec, project: Path
) -> None:
    run()
    data = project / "data" / "numbers.txt"
    data.write_bytes(data.read_bytes().replace(b"1", b"7", 1))
    result = run()
    assert sorted(result.executed) == sorted(ALL)
    assert summary(result, project) == {"total": 7.0, "above": 4}


def test_bad_parameters_name_the_parameter(demo: PipelineSpec) -> None:
    with pytest.raises(WorkbenchError, match=r"no parameter 'scal'.*data_path, scale, threshold"):
        run("scal=2")
    with pytest.raises(WorkbenchError, match=r"threshold.*not a valid int"):
        run("threshold=many")
    with pytest.raises(WorkbenchError, match=r"expected NAME=VALUE"):
        run("scale")


@pytest.mark.slow
def test_from_ignores_the_cache_downstream_and_only_runs_one_step(
    demo: PipelineSpec, project: Path
) -> None:
    with pytest.raises(WorkbenchError, match=r"--only report: upstream step load has no cached"):
        run(only_step="report")
    assert ran(project) == []
    run()
    ran(project)
    assert sorted(run(from_step="scaled").executed) == ["report", "scaled"]
    result = run(only_step="stats")
    assert result.executed == ["stats"] and set(result.steps) == {"load", "clean", "stats"}
    assert sorted(run(no_cache=True).executed) == sorted(ALL)
    with pytest.raises(WorkbenchError, match=r"no step 'nope'"):
        run(from_step="nope")


def test_independent_branches_run_in_parallel(
    demo: PipelineSpec, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stats waits until scaled deletes the hold file: it finishes only if both run at once
    hold = project / "hold"
    hold.write_text("")
    monkeypatch.setenv("DEMO_HOLD", str(hold))
    monkeypatch.setenv("DEMO_RELEASE", str(hold))
    result = run(jobs=2)
    assert result.ok and not hold.exists()


def test_each_step_gets_only_its_parameters(demo: PipelineSpec, project: Path) -> None:
    result = run("threshold=7")
    assert result.steps["report"].params == {"threshold": "7"}
    assert result.steps["clean"].params == {}
    assert result.steps["scaled"].params == {"scale": "2.0"}


def test_jobs_bounds_the_steps_running_at_once(demo: PipelineSpec, project: Path) -> None:
    running: set[str] = set()
    most = 0

    def observe(step: Any) -> None:
        nonlocal most
        (running.add if step.status == "running" else running.discard)(step.name)
        most = max(most, len(running))

    result = run_pipeline("demo", RunOptions(jobs=1, lineage="off"), observer=observe)
    assert result.ok and most == 1
    assert sorted(ran(project)) == sorted(ALL)


def _flip_one_byte(result: Any, step: str) -> None:
    from workbench.core.settings import settings
    from workbench.runner.store import ArtifactStore

    store = ArtifactStore(settings().artifact_store)
    for output in result.steps[step].outputs:
        folder = Path(store.output_uri("demo", step, result.steps[step].key, output))
        data = next(folder.glob("data.*"))
        raw = bytearray(data.read_bytes())
        raw[-1] ^= 0x01
        data.write_bytes(bytes(raw))


@pytest.mark.slow
def test_a_flipped_byte_in_a_cached_artifact_reruns_that_step_with_a_note(
    demo: PipelineSpec, project: Path
) -> None:
    first = run()
    ran(project)
    for step in ("clean", "stats"):
        _flip_one_byte(first, step)
        again = run()
        assert again.ok and again.executed == [step]  # same output again: dependants cached
        assert "has sha256" in again.steps[step].note
        assert summary(again, project) == {"total": 5.0, "above": 3}
    # what the probe saw: `--from` a step downstream of a corrupted entry
    _flip_one_byte(first, "scaled")
    result = run(from_step="report")
    assert result.ok and sorted(result.executed) == ["report", "scaled"]
