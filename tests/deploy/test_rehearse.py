"""The rehearsal runs the example's built manifests as the cluster's pods would: every step as
uid 10001 with only the image's packages and files, artifacts through S3, a real MLflow server;
and it matches `workbench pipeline run`; its deploy pod pushes to GitOps only when promotion
moved `champion`. A package missing from requirements.txt and a write
outside the writable folders fail, naming the step and the import or the path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.deploy_helpers import MODEL, OVERLAY, GitOpsRepo, make_gitops_repo
from tests.deploy.test_deploy_gitops import changed_lines
from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse import Rehearsal, rehearse
from workbench.deploy.rehearse.services import Services, services

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
KUSTOMIZATION = f"{OVERLAY}/kustomization.yaml"
IMAGE_SOURCES = ("pyproject.toml", "README.md", "workbench", "steps", "notebooks", "manifests")


def copy_example(dest: Path) -> Path:
    """The project files the image and the overlays are built from, plus the demo data."""
    from workbench.demo.data import write_demo_data

    dest.mkdir(parents=True)
    for name in IMAGE_SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    write_demo_data(dest / "data")
    return dest


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("services")
    with services(folder) as found:
        yield found


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("example") / "proj")


@dataclass(frozen=True)
class First:
    """The module's first rehearsal of the steps template: the first promotion, so its deploy
    pod pushes the first champion to `repo` (a bare GitOps repository served on 127.0.0.1 in
    place of the address the serving overlay's ConfigMap names), whose main branch was `seeded`
    at `seed_head` before."""

    result: Rehearsal
    repo: GitOpsRepo
    seeded: str
    seed_head: str


@pytest.fixture(scope="module")
def first(example: Path, running: Services, tmp_path_factory: pytest.TempPathFactory) -> First:
    repo = make_gitops_repo(tmp_path_factory.mktemp("git"))
    seeded, seed_head = repo.show(KUSTOMIZATION), repo.head()
    result = rehearse(example, "train", "staging", running=running, gitops_repo=repo.url)
    return First(result, repo, seeded, seed_head)


def test_steps_match_the_local_runner(first: First) -> None:
    result = first.result
    steps = ["load", "preprocess", "train", "evaluate", "promote"]
    assert [p.task for p in result.pods] == ["lineage", *steps, "deploy", "onExit"]
    found = result.comparison
    assert found is not None and found.key_mismatches == []  # the manifest's keys = local rule
    # the runs land as locally: one parent run of the workflow, each step a child run of it
    # (the train step's own logging and model went into its child run through MLFLOW_RUN_ID)
    tree = result.lineage
    assert tree is not None and tree.experiment == "pipeline-train"
    assert tree.parent_status == "FINISHED"
    assert tree.children == dict.fromkeys(steps, "FINISHED")
    assert found.lineage_mismatches == []
    assert _model_run_parent(result.tracking_uri, "breast-cancer") == tree.parent_id
    # every output as locally, except the MLflow run id (new on every run, locally too)
    assert found.output_mismatches == ["train.run_id"]
    assert result.registered == {"breast-cancer": ["1"]}
    assert (result.model_store / "workbench-model-store/breast-cancer/1/model.pkl").is_file()
    # the pods ran as the manifests' uid: every file they wrote is owned by it
    outputs = result.workdir / "pods" / "03-step-train" / "volumes" / "scratch" / "outputs"
    assert {p.stat().st_uid for p in outputs.rglob("*")} == {10001}
    assert result.runs >= 1


def test_deploy_pod_commits_only_when_promotion_moved_champion(
    first: First, example: Path, running: Services, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The rehearsal runs the pipeline's `deploy` task too, as its pod would: the deploy image
    (target `deploy` of serving.Dockerfile, git from its apt line), the pod's environment only.
    A promotion that moved `champion` gives exactly one commit naming the new version, the same
    edit `workbench deploy` makes locally; a run that did not move it, none. (Here, after the
    module's first rehearsal and before the other templates register more versions.)"""
    repo, seeded, result = first.repo, first.seeded, first.result
    assert [p.task for p in result.pods][-2:] == ["deploy", "onExit"]
    assert result.registered == {MODEL: ["1"]}
    assert result.gitops is not None and result.gitops.bare == repo.bare.resolve()
    # exactly one new commit on the ConfigMap's branch, and it names the new version
    assert repo.count() == 2 and result.gitops.commits == (repo.head(),)
    assert repo.show(KUSTOMIZATION, f"{repo.head()}~1") == seeded
    after = repo.show(KUSTOMIZATION)
    assert changed_lines(seeded, after) == [
        (f"      - champion=models:/{MODEL}@champion", f"      - champion=models:/{MODEL}/1")
    ]
    log = (result.workdir / "logs").glob("*-deploy.log")
    assert "deployed: " in next(log).read_text()

    # `workbench deploy` run here on the seeded overlay makes the same edit
    import workbench.deploy as deploy_module

    local = tmp_path / "local-overlay"
    local.mkdir()
    (local / "kustomization.yaml").write_text(seeded)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", running.tracking_uri)
    done = deploy_module.deploy(str(local), MODEL, candidate=1)
    assert done.changed and (local / "kustomization.yaml").read_text() == after

    # the same data again: an identical model registers no new version, champion stays where
    # it is, and the deploy pod pushes nothing
    second = rehearse(
        example, "train", "staging", running=running, compare=False, gitops_repo=repo.url
    )
    assert [p.task for p in second.pods][-2:] == ["deploy", "onExit"]
    assert second.registered == {MODEL: ["1"]}
    assert second.gitops is not None and second.gitops.commits == ()
    assert repo.count() == 2 and repo.show(KUSTOMIZATION) == after
    log = (second.workdir / "logs").glob("*-deploy.log")
    assert "no change: " in next(log).read_text()
    assert first.seed_head != repo.head()


def _model_run_parent(uri: str, model: str) -> str:
    """The parent run of the run that registered `model` version 1."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run_id = client.get_model_version(model, "1").run_id
    return str(client.get_run(run_id).data.tags.get("mlflow.parentRunId"))


def test_notebook_and_sweep_templates(example: Path, running: Services) -> None:
    notebook = rehearse(example, "train", "staging", template="notebook", running=running)
    assert [p.template for p in notebook.pods] == ["papermill"]
    assert "executed-notebook" in notebook.pods[0].artifacts
    sweep = rehearse(
        example,
        "train",
        "staging",
        template="sweep",
        running=running,
        parameters={"sweep-parameter-sets": json.dumps(_two_sets(notebook.parameters))},
    )
    assert [p.task for p in sweep.pods] == ["trial", "trial", "best-run"]
    best = json.loads(sweep.pods[-1].parameters["best-run"])
    assert best["run_id"] and best["metric"] == "roc_auc"
    assert len(sweep.registered["breast-cancer"]) >= 3  # notebook run + two trials


def _two_sets(defaults: dict[str, str]) -> list[dict[str, str]]:
    keep = ("C", "data_path", "experiment", "max_iter", "model_name", "random_state", "test_size")
    # both C values differ from the notebook's: a set equal to it refits the champion's very
    # model, which registers no new version (workbench.tracking.model_reuse)
    one = {k: defaults[k] for k in keep}
    assert float(one["C"]) not in (0.1, 0.3)
    return [{**one, "C": "0.3"}, {**one, "C": "0.1"}]


def test_a_package_missing_from_requirements_names_the_step_and_import(
    tmp_path: Path, running: Services
) -> None:
    proj = copy_example(tmp_path / "proj")
    req = proj / "steps/train/requirements.txt"
    req.write_text("".join(x for x in req.read_text().splitlines(True) if not x.startswith("s3fs")))
    with pytest.raises(WorkbenchError) as info:
        rehearse(proj, "train", "staging", running=running, compare=False)
    message = str(info.value)
    assert "step load exited 1" in message and "s3fs" in message


def test_a_write_outside_the_writable_folders_names_the_path(
    tmp_path: Path, running: Services
) -> None:
    proj = copy_example(tmp_path / "proj")
    load = proj / "steps/train/load.py"
    load.write_text(
        load.read_text().replace(
            "    raw = wbdata.load(data_path)\n",
            "    raw = wbdata.load(data_path)\n    open('/app/steps/cache.csv', 'w').write('x')\n",
        )
    )
    with pytest.raises(WorkbenchError) as info:
        rehearse(proj, "train", "staging", running=running, compare=False)
    message = str(info.value)
    assert "step load exited 1: wrote outside its writable folders" in message
    assert "/app/steps/cache.csv" in message and "/tmp" in message


def test_an_unseen_notebook_rehearses_like_its_local_run(tmp_path: Path, running: Services) -> None:
    import os
    import subprocess
    import sys

    from tests.deploy.unseen_notebook import write_unseen

    proj = copy_example(tmp_path / "proj")
    write_unseen(proj)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "WORKBENCH_"))}
    subprocess.run(
        [sys.executable, "-m", "workbench.cli.main", "productionize", "notebooks/diabetes.ipynb"],
        cwd=proj,
        env={**env, "WORKBENCH_PROJECT": str(proj)},
        check=True,
        capture_output=True,
    )
    # the schedule's template (`--template cron`: the CronWorkflow's arguments on the pipeline's
    # WorkflowTemplate), with the Secrets from a local file as `--secrets` gives them
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        "workbench-s3-credentials:\n  access-key-id: AKIAPLANTEDKEY000042\n"
        f"  secret-access-key: {PLANTED}\n"
        f"workbench-mlflow-credentials:\n  username: ci\n  password: {PLANTED}-mlflow\n"
    )
    result = rehearse(proj, "diabetes", "staging", template="cron", running=running,
                      secrets_file=secrets)  # fmt: skip
    assert [p.task for p in result.pods] == [
        "lineage", "ingest", "features", "fit", "score", "deploy", "onExit"
    ]  # fmt: skip
    # no promotion gate: no version holds champion, so the deploy pod succeeds and pushes nothing
    assert result.gitops is not None and result.gitops.commits == ()
    assert result.lineage is not None and set(result.lineage.children) == {
        "ingest", "features", "fit", "score"
    }  # fmt: skip
    assert result.comparison.lineage_mismatches == []
    assert result.comparison is not None and result.comparison.key_mismatches == []
    assert result.comparison.output_mismatches == ["fit.fit_run"]  # an MLflow run id
    assert result.registered["diabetes-ridge"] == ["1"]
    # the %%writefile module came from the steps package the image holds: the notebook never ran
    assert (proj / "steps/diabetes/_modules/diabfeat.py").is_file()
    assert not (proj / "notebooks/diabfeat.py").exists()
    assert (result.model_store / "workbench-model-store/diabetes-ridge/1/model.pkl").is_file()
    # Secret references only: no value in the built manifests, the pods' logs or the tracking
    from workbench.deploy.argo_client import overlay_dir, render_overlay

    built = render_overlay(overlay_dir(proj / "manifests", "diabetes", "staging"))[0]
    assert "secretKeyRef" in built and PLANTED not in built
    for log in (result.workdir / "logs").iterdir():
        assert PLANTED not in log.read_text(errors="replace"), log
    for path in (proj / "manifests").rglob("*.yaml"):
        assert PLANTED not in path.read_text(), path


PLANTED = "planted-s3-secret-9f3c2a"
