"""The CI WorkflowTemplate (hera): its shape, and its clone and set-image containers rehearsed
here exactly as the YAML says (command, environment; only paths under /workspace, /tmp and
/ci/scripts and the GitOps remote made local), the scripts taken from the generated ConfigMap."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ci.fake_github import FakeGitHub
from tests.ci.test_ci_scripts import DIGEST, DIGEST2, bare_repo, example_gitops, git
from workbench.emit import build_platform
from workbench.emit.gitops import PipelineRef, PlatformSpec
from workbench.emit.gitops.project import read_ci_scripts

REPO = Path(__file__).resolve().parents[2]
TOKEN = "ghp_Rehearsal0nlyT0kenNotRealAtAll1234567"


def spec() -> PlatformSpec:
    return PlatformSpec(
        project="churn",
        repo_url="https://github.com/acme-ml/churn-models.git",
        github_owner="acme-ml",
        github_repo="churn-models",
        pipelines=(PipelineRef("train", has_serving=True),),
        ci_scripts=read_ci_scripts(REPO),
    )


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    files = build_platform(spec())
    docs = {
        d["kind"]: d
        for rel, text in files.items()
        if rel.startswith("manifests/platform/ci/")
        for d in yaml.safe_load_all(text)
        if d and d["kind"] in ("WorkflowTemplate", "ConfigMap")
    }
    return docs


def templates(ci: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in ci["WorkflowTemplate"]["spec"]["templates"]}


def test_the_scripts_configmap_is_the_projects_ci_scripts(ci: dict[str, Any]) -> None:
    data = ci["ConfigMap"]["data"]
    assert data == {p.name: p.read_text() for p in (REPO / "ci/scripts").glob("*.sh")}
    for name, template in templates(ci).items():
        if "container" in template:
            command = template["container"]["command"]
            assert command[0] == "sh" and command[1].removeprefix("/ci/scripts/") in data, name


def test_the_dag_builds_once_and_promotes_the_same_digests(ci: dict[str, Any]) -> None:
    tasks = {t["name"]: t for t in templates(ci)["ci"]["dag"]["tasks"]}
    order = ["clone", "test", "build-steps", "set-image-staging", "wait-staging",
             "integration-test", "approve", "set-image-production", "wait-production"]  # fmt: skip
    for before, after in itertools.pairwise(order):
        assert f"{before}.Succeeded" in tasks[after]["depends"], after
    assert "refs/heads/main" in tasks["set-image-staging"]["when"]  # PRs stop after builds
    assert "suspend" in templates(ci)["approve"]
    staging = tasks["set-image-staging"]["arguments"]["parameters"]
    assert staging == tasks["set-image-production"]["arguments"]["parameters"]
    assert {p["name"]: p["value"] for p in staging} == {
        "steps-digest": "{{tasks.build-steps.outputs.parameters.digest}}",
        "serving-digest": "{{tasks.build-serving.outputs.parameters.digest}}",
        "ci-image": BUILT,
    }
    build = templates(ci)["build-serving"]["container"]
    assert re.fullmatch(r"moby/buildkit:v[0-9.]+-rootless@sha256:[0-9a-f]{64}", build["image"])
    assert "buildctl-daemonless.sh" in ci["ConfigMap"]["data"]["build.sh"]
    assert "type=registry,ref=" in ci["ConfigMap"]["data"]["build.sh"]  # layer cache
    env = {e["name"]: e for e in build["env"]}
    assert env["DOCKER_CONFIG"]["value"] == "/home/user/.docker" and env["TARGET"]["value"]
    assert build["securityContext"]["runAsNonRoot"] is True
    assert build["securityContext"]["allowPrivilegeEscalation"] is False


CI_REPOSITORY = "registry.example.com/ml/workbench-ci"
BUILT = f"{CI_REPOSITORY}@{{{{tasks.build-ci.outputs.parameters.digest}}}}"


def _ancestors(tasks: dict[str, dict[str, Any]], name: str) -> set[str]:
    """Every task `name` depends on, directly or not (names read from `depends`)."""
    out: set[str] = set()
    todo = [name]
    while todo:
        depends = tasks[todo.pop()].get("depends", "")
        for found in re.findall(r"([a-z0-9-]+)\.Succeeded", depends):
            if found not in out:
                out.add(found)
                todo.append(found)
    return out


def test_the_ci_image_runs_by_digest_never_by_a_tag(ci: dict[str, Any]) -> None:
    """Every script template runs the CI image its task passes (input `ci-image`), except
    the builds and the first run's checkout, which run the BuildKit image by digest. After
    build-ci every task passes the digest it pushed; before it (and the exit handler) the one
    the last main run recorded in the `churn-ci-image` ConfigMap (tests/ci/test_ci_first_run
    follows a first run, which has none)."""
    by_name = templates(ci)
    tasks = {t["name"]: t for t in by_name["ci"]["dag"]["tasks"]}
    exit_tasks = {t["name"]: t for t in by_name["exit"]["dag"]["tasks"]}
    own = {"buildkit": set(), "input": set()}
    for name, template in by_name.items():
        if "container" not in template:
            continue
        image = template["container"]["image"]
        if image.startswith("moby/buildkit:"):
            assert re.fullmatch(r"moby/buildkit:v[0-9.]+-rootless@sha256:[0-9a-f]{64}", image)
            own["buildkit"].add(name)
            continue
        assert image == "{{inputs.parameters.ci-image}}", (name, image)
        assert "ci-image" in {p["name"] for p in template["inputs"]["parameters"]}, name
        own["input"].add(name)
    assert own["buildkit"] == {"build-steps", "build-serving", "build-ci", "clone-first",
                               "build-steps-pr", "build-serving-pr", "build-ci-pr"}  # fmt: skip

    def image_arg(task: dict[str, Any]) -> str:
        return next(p["value"] for p in task["arguments"]["parameters"] if p["name"] == "ci-image")

    bootstrap = "{{workflow.parameters.ci-image}}"
    recorded = {n for n, t in tasks.items() if "arguments" in t and image_arg(t) == bootstrap}
    assert recorded == {"status-pending", "clone", "test"}
    for name in recorded:
        assert "build-ci" not in _ancestors(tasks, name)
    built = {n for n, t in tasks.items() if t["template"] in own["input"] | {"record-ci-image"}}
    for name in built - recorded:
        assert image_arg(tasks[name]) == BUILT, name
        assert "build-ci" in _ancestors(tasks, name), name  # the output exists when it runs
    assert built - recorded == {"status-pending-first", "test-first", "set-image-staging",
                                "wait-staging", "integration-test", "record-ci-image",
                                "set-image-production", "wait-production"}  # fmt: skip
    assert image_arg(exit_tasks["status-final"]) == bootstrap
    assert image_arg(exit_tasks["status-final-first"]) == BUILT.replace(
        "tasks.build-ci.outputs.parameters.digest", "workflow.outputs.parameters.ci-digest"
    )


def test_main_records_the_image_it_ran_for_the_next_run(ci: dict[str, Any]) -> None:
    """record-ci-image, a resource template (no image), applies the ConfigMap the next run's
    `ci-image` parameter reads, with the label Argo requires, after the integration tests; the
    recorder's Role may get and patch that ConfigMap only."""
    record = templates(ci)["record-ci-image"]
    tasks = {t["name"]: t for t in templates(ci)["ci"]["dag"]["tasks"]}
    assert record["resource"]["action"] == "apply" and "container" not in record
    assert "integration-test" in _ancestors(tasks, "record-ci-image")
    digest = "sha256:" + "c" * 64
    value = BUILT.replace("{{tasks.build-ci.outputs.parameters.digest}}", digest)
    manifest = record["resource"]["manifest"].replace("{{inputs.parameters.ci-image}}", value)
    doc = yaml.safe_load(manifest)
    assert doc["metadata"] == {
        "name": "churn-ci-image",
        "namespace": "churn-ci",
        "labels": {"workflows.argoproj.io/configmap-type": "Parameter"},
    }
    assert doc["data"] == {"image": f"{CI_REPOSITORY}@{digest}"}
    files = build_platform(spec())
    rules = [
        rule
        for d in yaml.safe_load_all(files["manifests/platform/ci/rbac.yaml"])
        if d and d["kind"] == "Role"
        for rule in d["rules"]
    ]
    (cm_rule,) = [r for r in rules if "configmaps" in r["resources"]]
    assert cm_rule["resourceNames"] == ["churn-ci-image"]
    assert sorted(cm_rule["verbs"]) == ["get", "patch"]


def rehearse(template: dict[str, Any], tmp: Path, values: dict[str, str], scripts: Path,
             remote: Path | None = None,
             extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run a template's container here: its command and env, {{...}} filled from `values`,
    Secret keys given test values, container paths mapped under `tmp`."""
    container = template["container"]

    def local(text: str) -> str:
        # container paths first (one pass: tmp itself lies under /tmp), then the filled values
        text = re.sub(r"(?<![\w/])/(workspace|tmp)\b", lambda m: f"{tmp}/{m.group(1)}", text)
        if remote is not None:
            text = text.replace(spec().repo_url, f"file://{remote}")
        return re.sub(r"\{\{([^}]+)\}\}", lambda m: values[m.group(1).strip()], text)

    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp)}
    for item in container.get("env", []):
        secret = item.get("valueFrom", {}).get("secretKeyRef")
        env[item["name"]] = TOKEN if secret else local(item["value"])
    env.update(extra or {})
    command = [c.replace("/ci/scripts", str(scripts)) for c in container["command"]]
    (tmp / "tmp").mkdir(exist_ok=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_clone_and_set_image_run_as_the_yaml_says(ci: dict[str, Any], tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name, text in ci["ConfigMap"]["data"].items():
        (scripts / name).write_text(text)
    (tmp_path / "source").mkdir()
    (tmp_path / "gitops").mkdir()
    source, shas = bare_repo(tmp_path / "source", {"README.md": "x\n", "notes.md": "y\n"})
    out = rehearse(
        templates(ci)["clone"],
        tmp_path,
        {"workflow.parameters.repository": f"file://{source}",
         "workflow.parameters.revision": shas[0]},
        scripts,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert git("rev-parse", "HEAD", cwd=tmp_path / "workspace" / "src") == shas[0]

    rels = [
        "manifests/train/overlays/staging/kustomization.yaml",
        "manifests/train/overlays/staging/serving/kustomization.yaml",
    ]
    gitops, _ = bare_repo(tmp_path / "gitops", {r: (REPO / r).read_text() for r in rels})
    values = {
        "inputs.parameters.steps-digest": DIGEST,
        "inputs.parameters.serving-digest": DIGEST2,
        "workflow.parameters.revision": shas[0],
    }
    out = rehearse(templates(ci)["set-image-staging"], tmp_path, values, scripts, gitops)
    assert out.returncode == 0, out.stdout + out.stderr
    head = git("rev-parse", "main", cwd=gitops)
    assert (tmp_path / "tmp" / "revision").read_text().strip() == head  # for wait-staging
    assert git("log", "-1", "--format=%s", "main", cwd=gitops) == f"ci: {shas[0]} to staging"
    serving = git("show", f"main:{rels[1]}", cwd=gitops)
    assert "registry.example.com/ml/train-serving" in serving and DIGEST2 in serving
    assert TOKEN not in out.stdout + out.stderr


def test_the_run_reports_a_github_commit_status_start_and_end(
    ci: dict[str, Any], tmp_path: Path, github: str
) -> None:
    """status-pending (a DAG task with no dependency) and status-final (the exit handler, run
    whatever failed) from the YAML, against the fake GitHub of test_ci_status."""
    FakeGitHub.token = TOKEN
    wt = ci["WorkflowTemplate"]["spec"]
    assert wt["onExit"] == "exit"
    assert {t["template"] for t in templates(ci)["exit"]["dag"]["tasks"]} == {"status-final"}
    tasks = {t["name"]: t for t in templates(ci)["ci"]["dag"]["tasks"]}
    assert "depends" not in tasks["status-pending"]
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name, text in ci["ConfigMap"]["data"].items():
        (scripts / name).write_text(text)
    sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    values = {
        "workflow.parameters.revision": sha,
        "workflow.name": "churn-ci-x7k2p",
        "workflow.status": "Failed",
    }
    for name in ("status-pending", "status-final"):
        template = templates(ci)[name]
        secret = next(e for e in template["container"]["env"] if e["name"] == "GITHUB_TOKEN")
        assert secret["valueFrom"]["secretKeyRef"] == {"name": "churn-ci-github", "key": "token"}
        out = rehearse(template, tmp_path, values, scripts, extra={"GITHUB_API": github})
        assert out.returncode == 0, out.stdout + out.stderr
        assert TOKEN not in out.stdout + out.stderr
    pending, final = FakeGitHub.seen
    for seen in (pending, final):
        assert seen["path"] == f"/repos/acme-ml/churn-models/statuses/{sha}"
        assert seen["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert seen["body"]["context"] == "churn/ci"
        assert seen["body"]["target_url"].endswith("/workflows/churn-ci/churn-ci-x7k2p")
    assert (pending["body"]["state"], final["body"]["state"]) == ("pending", "failure")


def _all_images(node: Any) -> list[str]:
    """Every `image:` value anywhere in a built document (pods, Argo templates, Seldon)."""
    if isinstance(node, dict):
        own = [str(v) for k, v in node.items() if k == "image" and isinstance(v, str)]
        return own + [i for v in node.values() for i in _all_images(v)]
    if isinstance(node, list):
        return [i for v in node for i in _all_images(v)]
    return []


def _built(folder: Path) -> list[str]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True
    )
    return [i for d in yaml.safe_load_all(out.stdout) if d for i in _all_images(d)]


@pytest.mark.integration
def test_promotion_pins_every_production_image_by_digest(tmp_path: Path) -> None:
    """This repository's manifests/train in a GitOps remote; set-image-production rehearsed as
    the YAML says with the three digests: afterwards every image of the built production
    overlays (pipeline and serving) is REGISTRY/NAME@sha256:…; a tag in its place is refused
    (by the script and by `workbench set-image`) and changes nothing."""
    from workbench.emit.gitops.project import discover

    platform = replace(spec(), pipelines=discover(REPO / "manifests"))
    assert platform.pipelines[0].has_deploy  # the example's pipeline ends with its deploy task
    files = build_platform(platform)
    docs = [d for d in yaml.safe_load_all(files["manifests/platform/ci/workflowtemplate.yaml"])]
    by_name = {t["name"]: t for t in docs[0]["spec"]["templates"]}
    scripts, remote = example_gitops(tmp_path)
    production = REPO / "manifests/train/overlays/production"
    for rel in ("kustomization.yaml", "serving/kustomization.yaml"):  # the honest seed
        seeded = yaml.safe_load((production / rel).read_text())
        assert seeded["images"] and all(set(e) == {"name"} for e in seeded["images"]), rel

    digests = {kind: "sha256:" + c * 64 for kind, c in (("steps", "1"), ("serving", "2"),
                                                        ("deploy", "3"))}  # fmt: skip
    values = {f"inputs.parameters.{k}-digest": v for k, v in digests.items()}
    values["workflow.parameters.revision"] = "0" * 40
    tagged = {**values, "inputs.parameters.steps-digest": "v1.2"}
    head = git("rev-parse", "main", cwd=remote)
    out = rehearse(by_name["set-image-production"], tmp_path, tagged, scripts, remote)
    assert out.returncode == 2 and "is not NAME=NEWNAME@sha256:DIGEST" in out.stderr
    assert git("rev-parse", "main", cwd=remote) == head

    out = rehearse(by_name["set-image-production"], tmp_path, values, scripts, remote)
    assert out.returncode == 0, out.stdout + out.stderr
    clone = tmp_path / "promoted"
    git("clone", "-q", str(remote), str(clone), cwd=tmp_path)
    overlay = clone / "manifests/train/overlays/production"
    images = _built(overlay) + _built(overlay / "serving")
    assert images and all(re.fullmatch(r"[a-z0-9./-]+@sha256:[0-9a-f]{64}", i) for i in images)
    assert set(images) == {
        f"registry.example.com/ml/train-{kind}@{digest}" for kind, digest in digests.items()
    }
    refused = subprocess.run(
        [str(Path(sys.executable).parent / "workbench"), "set-image", str(overlay),
         "workbench/train-steps=registry.example.com/ml/train-steps:v1.2"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode == 1 and "pinned by digest" in refused.stderr
    assert not git("status", "--porcelain", cwd=clone)
