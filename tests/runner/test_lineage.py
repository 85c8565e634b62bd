"""MLflow lineage: a parent run per pipeline run, a child run per step, statuses and digests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.project_helpers import open_descriptors
from tests.runner.conftest import ran
from workbench.core.settings import settings
from workbench.runner import RunOptions, run_pipeline
from workbench.spec.model import PipelineSpec
from workbench.tracking.lineage import PARENT_TAG, RecorderLineage


def client() -> Any:
    import mlflow

    return mlflow.MlflowClient(tracking_uri=settings().tracking_uri)


def children(c: Any, parent: str) -> dict[str, Any]:
    parent_run = c.get_run(parent)
    runs = c.search_runs(
        [parent_run.info.experiment_id], filter_string=f"tags.`{PARENT_TAG}` = '{parent}'"
    )
    return {r.info.run_name: r for r in runs}


@pytest.mark.slow
def test_parent_and_child_runs_with_cache_status_digests_and_step_metrics(
    tracked: PipelineSpec, project: Path
) -> None:
    first = run_pipeline("tracked", RunOptions(lineage="wait"))
    assert first.ok and first.parent_run_id
    c = client()
    parent = c.get_run(first.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert c.get_experiment(parent.info.experiment_id).name == "pipeline-tracked"
    assert parent.data.params == {"C": "0.5", "data_path": "data/numbers.txt"}
    assert len(parent.data.tags["workbench.spec_digest"]) == 64
    assert parent.data.metrics["steps_run"] == 2.0

    kids = children(c, first.parent_run_id)
    assert set(kids) == {"load", "fit"}
    fit = kids["fit"]
    assert fit.info.status == "FINISHED"
    assert fit.data.tags["workbench.cache"] == "miss"
    assert fit.data.tags["workbench.cache_key"] == first.steps["fit"].key
    assert fit.data.tags["workbench.input.raw"] == first.steps["load"].outputs["raw"]
    assert fit.data.tags["workbench.output.score"] == first.steps["fit"].outputs["score"]
    # the step's own mlflow call went into its child run (MLFLOW_RUN_ID)
    assert fit.data.metrics["score"] == 1.5
    assert "duration_s" in fit.data.metrics
    artifacts = [a.path for a in c.list_artifacts(fit.info.run_id)]
    assert artifacts == ["fit.log"]

    ran(project)
    # load is a cache hit, fit fails: its run and the parent are FAILED
    failed = run_pipeline("tracked", RunOptions(overrides=("C=-1",), lineage="wait"))
    assert not failed.ok and ran(project) == ["fit"]
    assert c.get_run(failed.parent_run_id).info.status == "FAILED"
    kids = children(c, failed.parent_run_id)
    assert (
        kids["load"].info.status == "FINISHED"
        and kids["load"].data.tags["workbench.cache"] == "hit"
    )
    assert (
        kids["fit"].info.status == "FAILED" and kids["fit"].data.tags["workbench.cache"] == "miss"
    )
    assert kids["fit"].data.tags["workbench.exit_code"] == "1"
    assert "ValueError: C must be positive" in Path(failed.steps["fit"].log or "").read_text()


@pytest.mark.slow
def test_recorder_marks_open_runs_killed_when_the_runner_dies(project: Path) -> None:
    from workbench.runner.execute import step_env
    from workbench.spec.model import PipelineSpec as Spec

    spec = Spec(name="x", notebook="n.ipynb", parameters=(), steps=())
    lineage = RecorderLineage(
        experiment="pipeline-x",
        run_name="x",
        params={},
        tags={},
        log_path=project / "lineage.log",
        env=step_env(settings(), spec),
        wait=True,
    )
    child = lineage.child_run("a", 0)
    assert child and lineage.parent_run_id
    assert lineage.proc.stdin is not None
    lineage.proc.stdin.close()  # what a SIGKILLed runner's pipe looks like to the recorder
    assert lineage.proc.wait(timeout=60) == 0
    lineage.close()  # what the dead runner's exit did to its pipe ends and log handle
    c = client()
    assert c.get_run(child).info.status == "KILLED"
    assert c.get_run(lineage.parent_run_id).info.status == "KILLED"


@pytest.mark.slow
@pytest.mark.parametrize("wait", [True, False])
def test_finish_closes_the_pipes_and_the_log(project: Path, wait: bool) -> None:
    """Nothing of the recorder is left to the garbage collector (ResourceWarning): finish
    closes both pipe ends and the log; a recorder not waited for is kept until it ends."""
    from workbench.runner.execute import step_env
    from workbench.spec.model import PipelineSpec as Spec
    from workbench.tracking import lineage as module

    spec = Spec(name="x", notebook="n.ipynb", parameters=(), steps=())
    lineage = RecorderLineage(experiment="pipeline-x", run_name="x", params={}, tags={},
                              log_path=project / "lineage.log", env=step_env(settings(), spec),
                              wait=wait)  # fmt: skip
    lineage.finish("FINISHED", {})
    assert lineage.proc.stdin is not None and lineage.proc.stdin.closed
    assert lineage.proc.stdout is not None and lineage.proc.stdout.closed
    assert open_descriptors(project / "lineage.log") == []
    if wait:
        assert lineage.proc.returncode == 0 and not lineage.error
    else:
        assert lineage.proc.returncode is not None or lineage.proc in module._unwaited
        assert lineage.proc.wait(timeout=60) == 0


@pytest.mark.slow
def test_unrecordable_lineage_warns_but_the_pipeline_still_runs(
    tracked: PipelineSpec, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "blocked").write_text("a file where the store's folder should be")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{project}/blocked/mlflow.db")
    result = run_pipeline("tracked", RunOptions(overrides=("C=2",), lineage="wait"))
    assert result.steps["load"].status == "done"
    assert result.parent_run_id is None
    assert "MLflow lineage was not fully recorded" in result.lineage_error
    assert "lineage.log" in result.lineage_error


@pytest.mark.slow
def test_compare_links_a_pipeline_run_and_its_step_runs_both_ways(
    tracked: PipelineSpec, project: Path
) -> None:
    import re

    import workbench

    result = run_pipeline("tracked", RunOptions(lineage="wait"))
    parent = result.parent_run_id
    assert result.ok and parent
    kids = {r.info.run_id for r in children(client(), parent).values()}
    assert len(kids) == 2
    html = workbench.compare("pipeline-tracked").table.value

    def row(run_id: str) -> str:
        found = re.search(rf'<tr class="wb-row[^"]*" data-run-id="{run_id}".*?</tr>', html)
        assert found, run_id
        return found.group(0)

    assert set(re.findall(r'class="wb-child" href="[^"]+/runs/(\w+)"', row(parent))) == kids
    for kid in kids:
        assert re.search(rf'class="wb-parent" href="[^"]+/runs/{parent}"', row(kid))


@pytest.mark.slow
def test_the_stale_check_and_the_recorder_start_once_the_first_step_has(
    demo: PipelineSpec, project: Path
) -> None:
    """Start-up order: the first step starts the fork server; then the caller's check
    (`while_starting`: the CLI's staleness line) runs, and then the MLflow recorder starts,
    so neither shares the cores with the server's imports before the first step can fork.
    Cache hits before the first step do not start the recorder either."""
    logs = settings().cache_dir / "logs" / "demo"
    seen: list[tuple[bool, bool]] = []

    def check() -> None:
        folder = max(logs.iterdir(), key=lambda f: f.stat().st_mtime_ns)  # this run's
        seen.append(((folder / "forkserver.log").exists(), (folder / "lineage.log").exists()))

    first = run_pipeline("demo", RunOptions(lineage="wait"), while_starting=check)
    assert first.ok and first.parent_run_id, [r.error for r in first.steps.values()]
    assert seen == [(True, False)]
    assert (first.log_dir / "lineage.log").exists()
    assert client().get_run(first.parent_run_id).info.status == "FINISHED"

    # load, clean and stats are cache hits, scaled and report run again
    seen.clear()
    again = run_pipeline(
        "demo", RunOptions(overrides=("scale=3",), lineage="wait"), while_starting=check
    )
    assert again.ok and again.parent_run_id
    assert [n for n, r in again.steps.items() if r.cached] == ["load", "clean", "stats"]
    assert seen == [(True, False)]
    kids = children(client(), again.parent_run_id)
    assert kids["load"].data.tags["workbench.cache"] == "hit"  # sent once the recorder ran
    assert kids["report"].data.tags["workbench.cache"] == "miss"

    # a fully cached run starts no step and no server: the check still runs, once
    seen.clear()
    cached = run_pipeline("demo", RunOptions(lineage="off"), while_starting=check)
    assert cached.ok and all(r.cached for r in cached.steps.values())
    assert len(seen) == 1 and not (cached.log_dir / "forkserver.log").exists()


def test_a_recorder_that_cannot_start_is_a_warning_not_a_failure(project: Path) -> None:
    """No process for the lineage (here: its log folder is a file): the steps' events are
    dropped, `finish` returns no run and says why, once; nothing raises."""
    from workbench.runner.execute import step_env
    from workbench.spec.model import PipelineSpec as Spec

    (project / "logs").write_text("not a folder")
    spec = Spec(name="x", notebook="n.ipynb", parameters=(), steps=())
    lineage = RecorderLineage(experiment="pipeline-x", run_name="x", params={}, tags={},
                              log_path=project / "logs" / "lineage.log",
                              env=step_env(settings(), spec), wait=True)  # fmt: skip
    lineage.step_done({"step": "a", "status": "FINISHED"})
    assert lineage.child_run("b", 0) is None
    lineage.start()
    assert lineage.finish("FINISHED", {}) is None
    assert lineage.error.startswith("MLflow lineage was not recorded: cannot start its recorder")
