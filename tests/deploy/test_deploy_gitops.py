"""`workbench deploy` against a bare git repository standing in for the GitOps remote.

The end-to-end test promotes real model versions through the promotion gate on MLflow and runs
the deploy command as the pipeline's last task does (a separate process, --candidate of the
run): a promotion that moved `champion` gives one commit that changes the served version and
nothing else; a rejected candidate or a retried task gives no commit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import workbench.deploy as deploy_module
from tests.deploy.deploy_helpers import (
    MODEL,
    OVERLAY,
    deploy_cli,
    git,
    make_gitops_repo,
    register_and_promote,
)
from tests.deploy.deploy_helpers import data as example_data
from workbench.core.errors import ConfigError
from workbench.runtime.artifacts import write_value

KUSTOMIZATION = f"{OVERLAY}/kustomization.yaml"


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


@pytest.mark.slow
def test_deploy_commits_only_when_promotion_moved_champion(project: Path, tmp_path: Path) -> None:
    repo = make_gitops_repo(tmp_path)
    seeded = repo.show(KUSTOMIZATION)
    x, y = example_data()
    args = (OVERLAY, "--model", MODEL, "--repo", repo.url)
    # in-process where the same code runs; a separate process where the task's form matters
    with pytest.raises(ConfigError, match=f"model {MODEL!r} is not registered"):
        deploy_module.deploy(OVERLAY, MODEL, candidate=1, repo=repo.url)

    first = register_and_promote(DecisionTreeClassifier(max_depth=1, random_state=0), x, y)
    assert first.promoted and first.candidate_version == 1
    out = deploy_cli(*args, "--candidate", "1", cwd=project)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("deployed: ")
    assert repo.count() == 2
    after_first = repo.show(KUSTOMIZATION)
    # one literal changed; comments, order and every other line kept
    assert changed_lines(seeded, after_first) == [
        (
            f"      - champion=models:/{MODEL}@champion",
            f"      - champion=models:/{MODEL}/1",
        )
    ]
    message = git("log", "-1", "--format=%B", "main", cwd=repo.bare)
    assert f"deploy {MODEL} v1 to {OVERLAY}" in message and "first champion" in message

    worse = register_and_promote(DummyClassifier(strategy="prior"), x, y)
    assert not worse.promoted and worse.candidate_version == 2
    head = repo.head()
    result = deploy_module.deploy(OVERLAY, MODEL, candidate=2, repo=repo.url)
    assert not result.changed and "did not take champion" in result.message
    assert repo.head() == head

    result = deploy_module.deploy(OVERLAY, MODEL, candidate=1, repo=repo.url)  # task retried
    assert not result.changed and "already serves" in result.message
    assert repo.head() == head

    better = register_and_promote(make_pipeline(StandardScaler(), LogisticRegression()), x, y)
    assert better.promoted and better.candidate_version == 3
    artifact = tmp_path / "outputs" / "model_version"  # as the train step's output reaches Argo
    write_value(3, str(artifact))
    out = deploy_cli(*args, "--candidate-from", str(artifact), cwd=project)
    assert out.returncode == 0, out.stderr
    assert repo.count() == 3
    assert changed_lines(after_first, repo.show(KUSTOMIZATION)) == [
        (f"      - champion=models:/{MODEL}/1", f"      - champion=models:/{MODEL}/3")
    ]

    # what Argo CD would apply: the built overlay serves v3 from a renamed ConfigMap
    checkout = tmp_path / "checkout"
    git("clone", "-q", repo.url, str(checkout), cwd=tmp_path)
    built = subprocess.run(
        ["kubectl", "kustomize", str(checkout / OVERLAY)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    (config,) = [d for d in docs if d["metadata"]["name"].startswith(f"{MODEL}-serving-")]
    assert config["data"]["champion"] == f"models:/{MODEL}/3"
    (sdep,) = [d for d in docs if d["kind"] == "SeldonDeployment"]
    (container,) = sdep["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    (uri,) = [e for e in container["env"] if e["name"] == "WORKBENCH_MODEL_URI"]
    # the pod template names the new hash-suffixed ConfigMap: seldon-core rolls the pods
    assert uri["valueFrom"]["configMapKeyRef"]["name"] == config["metadata"]["name"]


@pytest.mark.slow
def test_no_champion_yet_changes_nothing_and_succeeds(project: Path, tmp_path: Path) -> None:
    """A pipeline that registers without a promotion gate ends with the deploy task too: no
    version holds champion, so nothing changes and the task (exit 0) does not fail the run."""
    import workbench.tracking as wbt

    repo = make_gitops_repo(tmp_path)
    x, y = example_data()
    wbt.set_experiment("deploy-tests")
    with wbt.start_run(run_name="train") as run:
        run.log_model(DummyClassifier().fit(x, y), input_example=x.head(3), register=MODEL)
    out = deploy_cli(OVERLAY, "--model", MODEL, "--repo", repo.url, cwd=project)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("no change: ") and "holds champion" in out.stdout
    assert repo.count() == 1


def test_pinned_version_edits_the_working_tree_in_place(tmp_path: Path) -> None:
    repo = make_gitops_repo(tmp_path)
    checkout = tmp_path / "work"
    git("clone", "-q", repo.url, str(checkout), cwd=tmp_path)
    path = checkout / KUSTOMIZATION
    before = path.read_text()
    out = deploy_cli(OVERLAY, "--model", MODEL, "--version", "12", cwd=checkout)
    assert out.returncode == 0, out.stderr
    assert changed_lines(before, path.read_text()) == [
        (f"      - champion=models:/{MODEL}@champion", f"      - champion=models:/{MODEL}/12")
    ]
    assert before.splitlines()[0].startswith("# Seeded by workbench productionize")
    assert repo.count() == 1  # no --repo: nothing committed or pushed


@pytest.mark.parametrize(
    ("overlay", "files", "expected"),
    [
        ("manifests/train/overlays/nowhere/serving", None, "no such serving overlay folder"),
        ("../outside", None, "relative to the repository root"),
        (OVERLAY, {KUSTOMIZATION: "resources: [a\n"}, "not valid YAML"),
        (OVERLAY, {KUSTOMIZATION: "resources: []\n"}, "no configMapGenerator literal"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_pushed(
    tmp_path: Path, overlay: str, files: dict[str, str] | None, expected: str
) -> None:
    repo = make_gitops_repo(tmp_path, files)
    head = repo.head()
    out = deploy_cli(overlay, "--model", MODEL, "--version", "3", "--repo", repo.url, cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert expected in out.stderr and "Traceback" not in out.stderr
    assert repo.head() == head


@pytest.mark.parametrize("password", ["s3cret-token", "s3cr/et-token"])
def test_unreachable_remote_names_it_without_the_password(tmp_path: Path, password: str) -> None:
    url = f"http://deployer:{password}@127.0.0.1:9/gitops.git"
    out = deploy_cli(OVERLAY, "--model", MODEL, "--version", "3", "--repo", url, cwd=tmp_path)
    assert out.returncode == 1
    assert "git clone failed" in out.stderr
    assert "s3cr" not in out.stderr + out.stdout, out.stderr


def test_bad_candidate_is_refused_before_the_registry(tmp_path: Path) -> None:
    repo = make_gitops_repo(tmp_path)
    args = (OVERLAY, "--model", MODEL, "--repo", repo.url)
    out = deploy_cli(*args, "--candidate-from", str(tmp_path / "missing"), cwd=tmp_path)
    assert out.returncode == 2 and "--candidate-from" in out.stderr
    write_value("latest", str(tmp_path / "text"))
    out = deploy_cli(*args, "--candidate-from", str(tmp_path / "text"), cwd=tmp_path)
    assert out.returncode == 2 and "expected a model version" in out.stderr
    out = deploy_cli(*args, "--candidate", "1", "--version", "1", cwd=tmp_path)
    assert out.returncode == 2 and "cannot be combined" in out.stderr
    assert repo.count() == 1


def test_a_push_race_clones_again_and_keeps_both_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone pushes between our clone and our push: the push is rejected, deploy clones again,
    re-applies its edit on top, and the other commit survives."""
    repo = make_gitops_repo(tmp_path)
    real_clone = deploy_module.clone
    calls: list[int] = []

    def racing_clone(url: str, branch: str, dest: Path) -> None:
        real_clone(url, branch, dest)
        if not calls:
            other = tmp_path / "other"
            git("clone", "-q", url, str(other), cwd=tmp_path)
            (other / "README.md").write_text("someone else\n")
            git("add", "README.md", cwd=other)
            git("-c", "user.name=o", "-c", "user.email=o@o", "commit", "-qm", "other", cwd=other)
            git("push", "-q", "origin", "HEAD:main", cwd=other)
        calls.append(1)

    monkeypatch.setattr(deploy_module, "clone", racing_clone)
    result = deploy_module.deploy(OVERLAY, MODEL, version=4, repo=repo.url)
    assert result.changed and len(calls) == 2
    assert repo.count() == 3
    assert repo.show("README.md") == "someone else\n"
    assert f"champion=models:/{MODEL}/4" in repo.show(KUSTOMIZATION)
