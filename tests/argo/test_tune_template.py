"""The tuning fan-out WorkflowTemplate: N workers on one study, then the promotion pod; hardened
like every template; the storage URL only as a Secret reference; rehearsable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse import dag
from workbench.deploy.rehearse.expr import Scope, substitute
from workbench.deploy.rehearse.workflow import check_subset
from workbench.emit.argo import ArgoOptions
from workbench.emit.argo.tune import STORAGE_ENV, tune_template
from workbench.spec.model import PipelineSpec

REPO = Path(__file__).resolve().parents[2]


def _tune(manifests: Path) -> dict[str, Any]:
    (doc,) = [d for d in yaml.safe_load_all((manifests / "base/tune-workflowtemplate.yaml").read_text()) if d]  # fmt: skip
    return doc


def _templates(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in doc["spec"]["templates"]}


def test_fan_out_then_promote(manifests: Path) -> None:
    doc = _tune(manifests)
    assert doc["kind"] == "WorkflowTemplate" and doc["metadata"]["name"] == "tiny-tune"
    templates = _templates(doc)
    tasks = {t["name"]: t for t in templates[doc["spec"]["entrypoint"]]["dag"]["tasks"]}
    assert tasks["worker"]["withSequence"] == {"count": "{{workflow.parameters.workers}}"}
    assert tasks["worker"]["template"] == "tune-worker"
    assert tasks["promote"]["depends"] == "worker.AnySucceeded"
    worker = templates["tune-worker"]["container"]
    argv = worker["command"] + worker["args"]
    assert argv[:4] == ["python", "-m", "workbench.tuning.worker", "optimize"]
    # every worker the same command on the same study: nothing per item in it
    assert "{{item}}" not in " ".join(argv)
    assert argv[argv.index("--study") + 1] == "{{workflow.parameters.study-name}}"
    promote = templates["tune-promote"]
    argv = promote["container"]["command"] + promote["container"]["args"]
    assert argv[3] == "promote" and "--model-name" in argv
    assert promote["outputs"]["parameters"][0]["valueFrom"]["path"] == "/tmp/outputs/promotion.json"
    params = {p["name"]: p["value"] for p in doc["spec"]["arguments"]["parameters"]}
    assert params["workers"] == "3" and params["objective"] == "workbench.demo.tuning"


def test_storage_only_from_a_secret_and_pods_hardened(manifests: Path) -> None:
    doc = _tune(manifests)
    for name in ("tune-worker", "tune-promote"):
        container = _templates(doc)[name]["container"]
        (storage,) = [e for e in container["env"] if e["name"] == STORAGE_ENV]
        # required: a worker without the shared study must fail, not tune a private one
        assert storage["valueFrom"] == {
            "secretKeyRef": {"name": "workbench-optuna-storage", "key": "url"}
        }
        assert "value" not in storage
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] and ctx["runAsNonRoot"]
        assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["limits"] and container["resources"]["requests"]
        assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp", "/mnt/model-store"}
    spec = doc["spec"]
    (scratch,) = [v for v in spec["volumes"] if v["name"] == "scratch"]
    assert scratch["emptyDir"]["sizeLimit"] == "2Gi"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["serviceAccountName"] == "tiny-workflow"
    text = (manifests / "base/tune-workflowtemplate.yaml").read_text()
    assert "postgresql://" not in text and "password:" not in text.lower()


def test_in_the_kustomize_base_and_patched_by_the_overlays(manifests: Path) -> None:
    base = yaml.safe_load((manifests / "base/kustomization.yaml").read_text())
    assert "tune-workflowtemplate.yaml" in base["resources"]
    overlay = yaml.safe_load((manifests / "overlays/staging/kustomization.yaml").read_text())
    targets = [p["target"]["name"] for p in overlay["patches"]]
    assert "tiny-tune" in targets


def test_the_rehearsal_models_it_and_fans_out_count_pods(manifests: Path) -> None:
    doc = _tune(manifests)
    check_subset(doc)
    task = _templates(doc)["tune"]["dag"]["tasks"][0]
    scope = Scope({"workflow.parameters.workers": "4"}, {})
    runs = dag.sequence(task, substitute(task["withSequence"]["count"], scope, "t"))
    assert [r.scope() for r in runs] == [{"item": str(i)} for i in range(4)]
    assert len({r.name for r in runs}) == 4
    with pytest.raises(WorkbenchError, match="not an integer"):
        dag.sequence(task, "three")


def test_the_rehearsal_refuses_sequence_fields_it_does_not_model(manifests: Path) -> None:
    doc = _tune(manifests)
    _templates(doc)["tune"]["dag"]["tasks"][0]["withSequence"]["start"] = "1"
    with pytest.raises(WorkbenchError, match=r"withSequence\.start"):
        check_subset(doc)


def test_the_example_template_is_the_generated_one() -> None:
    """manifests/train/base holds exactly what the emitter builds (no hand edits)."""
    text = (REPO / "manifests/train/base/tune-workflowtemplate.yaml").read_text()
    doc = yaml.safe_load(text.split("\n", 2)[2])
    assert doc["metadata"]["name"] == "train-tune"
    params = {p["name"]: p["value"] for p in doc["spec"]["arguments"]["parameters"]}
    assert params["model-name"] == "breast-cancer"  # the training notebook's model_name


def test_model_name_falls_back_to_the_pipeline(spec: PipelineSpec) -> None:
    wt = tune_template(spec, ArgoOptions(notebook="tiny.ipynb")).to_dict()
    params = {p["name"]: p["value"] for p in wt["spec"]["arguments"]["parameters"]}
    assert params["model-name"] == "tiny"


def _retry_wanted(expression: str, status: str, exit_code: str) -> bool:
    """The retry expression evaluated for one last attempt (Argo's expr: ||, &&, asInt, ==)."""
    python = expression.replace("||", " or ").replace("&&", " and ").replace("asInt", "int")
    last = type("LastRetry", (), {"status": status, "exitCode": exit_code})
    return bool(eval(python, {"int": int, "lastRetry": last}))  # our own generated text


def test_workers_are_retried_past_the_heartbeat_grace_period(manifests: Path) -> None:
    """A dead worker pod is retried (limited, backed off longer than Optuna's grace period,
    so the new pod finds the dead pod's trial stale and re-runs it); its bad-input exit (2)
    is not; every worker stops at the study's target of COMPLETE trials."""
    from workbench.emit.argo.tune import GRACE_SECONDS, HEARTBEAT_SECONDS
    from workbench.tuning.heartbeat import DEFAULT_HEARTBEAT

    assert (
        DEFAULT_HEARTBEAT.interval,
        DEFAULT_HEARTBEAT.grace_period,
    ) == (HEARTBEAT_SECONDS, GRACE_SECONDS)
    doc = _tune(manifests)
    worker = _templates(doc)["tune-worker"]
    retry = worker["retryStrategy"]
    assert retry["limit"] == ArgoOptions(notebook="").retry_limit
    assert retry["retryPolicy"] == "Always"
    assert int(retry["backoff"]["duration"].removesuffix("s")) > GRACE_SECONDS
    assert retry["backoff"]["factor"] == 2 and retry["backoff"]["maxDuration"]
    wanted = {(s, c): _retry_wanted(retry["expression"], s, c)
              for s, c in [("Error", ""), ("Failed", "137"), ("Failed", "1"), ("Failed", "2")]}  # fmt: skip
    assert wanted == {("Error", ""): True, ("Failed", "137"): True, ("Failed", "1"): True,
                      ("Failed", "2"): False}  # fmt: skip
    assert "retryStrategy" not in _templates(doc)["tune-promote"]  # registers a model: once
    argv = worker["container"]["args"]
    assert argv[argv.index("--study-trials") + 1] == "{{workflow.parameters.study-trials}}"
    params = {p["name"]: p["value"] for p in doc["spec"]["arguments"]["parameters"]}
    assert int(params["study-trials"]) == int(params["workers"]) * int(params["trials-per-worker"])
