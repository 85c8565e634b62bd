"""The very first CI run, before any run recorded a CI image: the `ci-image` parameter falls
back to its default (""), the run checks out in the BuildKit image, builds the CI image, and
runs the status and test steps on the digest it just built. Followed through the generated
YAML with a model of Argo's DAG walk (tests/ci/dag_eval.py), for a first and a later run, on
main and on a pull request; the first run's checkout rehearsed as the YAML says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ci.dag_eval import Run, run_dag
from tests.ci.test_ci_scripts import bare_repo, git
from tests.ci.test_ci_template import CI_REPOSITORY, rehearse, spec
from workbench.emit import build_platform
from workbench.emit.gitops.ci import BUILDKIT

RECORDED = f"{CI_REPOSITORY}@sha256:" + "e" * 64
BUILT_DIGEST = "sha256:" + "b" * 64
BUILT = f"{CI_REPOSITORY}@{BUILT_DIGEST}"
OUTPUTS = {
    "build-ci": {"digest": BUILT_DIGEST},
    "build-steps": {"digest": "sha256:" + "1" * 64},
    "build-serving": {"digest": "sha256:" + "2" * 64},
    # a pull request's builds: built, not pushed
    "build-ci-pr": {"digest": "sha256:" + "3" * 64},
    "build-steps-pr": {"digest": "sha256:" + "4" * 64},
    "build-serving-pr": {"digest": "sha256:" + "5" * 64},
    "set-image-staging": {"revision": "a" * 40},
    "set-image-production": {"revision": "c" * 40},
}
MAIN = "refs/heads/main"
PR_BUILDS = {"build-ci-pr", "build-steps-pr", "build-serving-pr"}


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return build_platform(spec())


@pytest.fixture(scope="module")
def wt(files: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(files["manifests/platform/ci/workflowtemplate.yaml"])
    return doc


def walk(wt: dict[str, Any], ci_image: str, branch: str = MAIN) -> tuple[Run, Run]:
    """The main DAG, then the exit handler with the globals the main DAG left."""
    params = {"ci-image": ci_image, "branch": branch, "revision": "d" * 40, "model": "train"}
    main = run_dag(wt, "ci", Run(parameters=params, outputs=OUTPUTS))
    assert wt["spec"]["onExit"] == "exit"
    exit_ = run_dag(wt, "exit", Run(parameters=params, outputs={}, globals=dict(main.globals)))
    return main, exit_


def test_no_recorded_image_means_the_default_and_the_configmap_in_git_holds_none(
    files: dict[str, str], wt: dict[str, Any]
) -> None:
    (param,) = [p for p in wt["spec"]["arguments"]["parameters"] if p["name"] == "ci-image"]
    assert param["valueFrom"] == {
        "configMapKeyRef": {"name": "churn-ci-image", "key": "image"},
        "default": "",
    }
    (cm,) = yaml.safe_load_all(files["manifests/platform/ci/ci-image.yaml"])
    assert cm["metadata"]["labels"] == {"workflows.argoproj.io/configmap-type": "Parameter"}
    assert "data" not in cm  # no `image` key: Argo takes the default
    assert "ci-image.yaml" in files["manifests/platform/ci/kustomization.yaml"]
    apps = [
        d
        for d in yaml.safe_load_all(files["manifests/platform/argocd/platform.yaml"])
        if d and d["metadata"]["name"] == "churn-ci"
    ]
    (app,) = apps
    assert app["spec"]["ignoreDifferences"] == [
        {
            "group": "",
            "kind": "ConfigMap",
            "name": "churn-ci-image",
            "namespace": "churn-ci",
            "jsonPointers": ["/data"],
        }
    ]  # record-ci-image writes /data; Argo CD neither reverts nor reports it
    assert "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"]["syncOptions"]


def _before(run: Run, first: str, then: str) -> None:
    assert run.order.index(first) < run.order.index(then), (first, then, run.order)


def test_a_recorded_image_runs_status_clone_and_test_then_the_rest_in_the_built_one(
    wt: dict[str, Any],
) -> None:
    main, exit_ = walk(wt, RECORDED)
    assert {n for n, p in main.phases.items() if p != "Succeeded"} == {
        "clone-first", "status-pending-first", "test-first", *PR_BUILDS,
    }  # fmt: skip
    for name in ("status-pending", "clone", "test"):
        assert main.images[name] == RECORDED, name
    _before(main, "test", "build-ci")
    for name in ("set-image-staging", "wait-staging", "integration-test", "set-image-production",
                 "wait-production"):  # fmt: skip
        assert main.images[name] == BUILT, name
    assert exit_.order == ["status-final"] and exit_.images["status-final"] == RECORDED


def test_without_a_recorded_image_the_run_builds_the_ci_image_first(wt: dict[str, Any]) -> None:
    main, exit_ = walk(wt, "")
    assert {n for n, p in main.phases.items() if p != "Succeeded"} == {
        "status-pending", "clone", "test", *PR_BUILDS,
    }  # fmt: skip
    assert main.images["clone-first"] == BUILDKIT  # needs no CI image
    _before(main, "clone-first", "build-ci")
    for name in ("status-pending-first", "test-first"):
        _before(main, "build-ci", name)
        assert main.images[name] == BUILT, name
    for build in ("build-steps", "build-serving"):
        _before(main, "test-first", build)  # nothing is pushed before the tests passed
    for name in ("set-image-staging", "integration-test", "record-ci-image", "wait-production"):
        assert main.phases[name] == "Succeeded", name
    # no pod starts on an empty or tagged image
    for name, image in main.images.items():
        assert image in (BUILDKIT, BUILT), (name, image)
    assert exit_.order == ["status-final-first"]
    assert exit_.images["status-final-first"] == BUILT


def test_a_first_run_that_never_pushed_its_ci_image_reports_nothing(wt: dict[str, Any]) -> None:
    """clone-first failed: build-ci never set the global `ci-digest`; the exit handler starts
    no pod rather than one on `REPOSITORY@{{workflow.outputs...}}`."""
    params = {"ci-image": "", "branch": MAIN, "revision": "d" * 40, "model": "train"}
    exit_ = run_dag(wt, "exit", Run(parameters=params, outputs={}))
    assert exit_.order == [] and set(exit_.phases.values()) == {"Skipped"}


@pytest.mark.parametrize("ci_image", ["", RECORDED])
def test_pull_requests_stop_after_tests_and_builds(wt: dict[str, Any], ci_image: str) -> None:
    """A pull request builds every image without pushing any (no registry credential in its
    pods: tests/ci/test_ci_privilege.py), so nothing of it runs after the builds; its first run
    has no CI image to test in (none recorded, none pushed) and only builds."""
    main, exit_ = walk(wt, ci_image, branch="refs/heads/feature")
    assert "set-image-staging" not in main.order  # its builds (main's) never ran
    assert set(main.order) >= PR_BUILDS
    assert not {"build-ci", "build-steps", "build-serving"} & set(main.order)
    assert not {"set-image-production", "record-ci-image", "approve"} & set(main.order)
    if ci_image == "":
        assert "test-first" not in main.order and "status-pending-first" not in main.order
        _before(main, "build-ci-pr", "build-steps-pr")
        assert exit_.order == []  # no commit status: the GitHub token is main's
    else:
        for build in PR_BUILDS:
            _before(main, "test", build)
        assert main.images["test"] == RECORDED
        assert exit_.order == ["status-final"]


def test_the_first_checkout_runs_as_the_yaml_says(wt: dict[str, Any], tmp_path: Path) -> None:
    """clone-first: clone.sh from the scripts ConfigMap, in the BuildKit image (its Dockerfile
    installs git on Alpine; clone.sh needs sh, dirname and git), as the CI's non-root user."""
    templates = {t["name"]: t for t in wt["spec"]["templates"]}
    first, clone = templates["clone-first"], templates["clone"]
    assert first["container"]["command"] == clone["container"]["command"]
    assert first["container"]["securityContext"] == clone["container"]["securityContext"]
    assert "inputs" not in first  # no CI image to pass
    (cm,) = yaml.safe_load_all(build_platform(spec())["manifests/platform/ci/scripts.yaml"])
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name, body in cm["data"].items():
        (scripts / name).write_text(body)
    (tmp_path / "source").mkdir()
    source, shas = bare_repo(tmp_path / "source", {"ci/Dockerfile": "FROM scratch\n"})
    values = {"workflow.parameters.repository": f"file://{source}",
              "workflow.parameters.revision": shas[0]}  # fmt: skip
    out = rehearse(first, tmp_path, values, scripts)
    assert out.returncode == 0, out.stderr
    assert git("rev-parse", "HEAD", cwd=tmp_path / "workspace" / "src") == shas[0]
    assert (tmp_path / "workspace" / "src" / "ci" / "Dockerfile").is_file()  # what build-ci reads
