"""The emitted WorkflowTemplate and the local runner (`workbench pipeline run`) agree: the same
cache keys for every memoized step and the same output digests, on the same tiny project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from argo_helpers import REPO, tiny_spec, write_files
from argo_local_exec import load_template, run_dag
from tiny_project import consistent_spec, write_project

from workbench.emit.argo import ArgoOptions, render_manifests
from workbench.runtime.artifacts import read_digest

PIPELINE = "tinyrun"


@pytest.mark.slow
def test_argo_manifest_and_local_runner_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.runner.execute import run_pipeline
    from workbench.runner.plan import RunOptions

    root = tmp_path / "proj"
    root.mkdir()
    write_project(root, PIPELINE)
    spec = consistent_spec(tiny_spec(PIPELINE))
    (root / "steps" / PIPELINE / "pipeline.json").write_text(spec.to_json())
    write_files(root / "manifests" / PIPELINE, render_manifests(spec, ArgoOptions(notebook="nb")))
    for var in ("WORKBENCH_ARTIFACT_STORE", "WORKBENCH_CACHE_DIR", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WORKBENCH_PROJECT", str(root))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), str(REPO)]))
    monkeypatch.chdir(root)

    local = run_pipeline(PIPELINE, RunOptions(lineage="off", jobs=2))
    assert local.ok, {n: r.error for n, r in local.steps.items()}

    wt = load_template(root / "manifests" / PIPELINE / "base" / "workflowtemplate.yaml")
    # the template's data_path defaults to object storage: the local run read the project's file
    local_data = {"data_path": spec.parameter("data_path").text}
    argo = run_dag(wt, store=tmp_path / "argo-store", cwd=root, overrides=local_data)

    store = root / ".workbench" / "artifacts"
    for step in spec.steps:
        task = step.name.replace("_", "-")
        ran = local.steps[step.name]
        if step.name != "load":  # load reads data/tiny.csv: the runner adds its digest
            assert argo.cache_keys[task] == ran.key
        for out in step.outputs:
            assert read_digest(str(argo.outputs[task][out])) == ran.outputs[out]
            assert (
                read_digest(str(store / PIPELINE / step.name / ran.key / out)) == ran.outputs[out]
            )
