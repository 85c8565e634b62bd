"""The emitted WorkflowTemplate runs the same code: its exact command lines, executed locally in
DAG order, give the values of calling the step functions directly, and the memoize keys equal
workbench.core.hashing.cache_key over the same material."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from argo_helpers import REPO, tiny_spec, write_files
from argo_local_exec import load_template, run_dag
from tiny_project import consistent_spec, run_directly, write_project

from workbench.core.hashing import cache_key
from workbench.emit.argo import ArgoOptions, render_manifests
from workbench.runtime.artifacts import read_digest, read_value
from workbench.runtime.step import parse_param

PIPELINE = "tinyexec"


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    write_project(root, PIPELINE)
    spec = consistent_spec(tiny_spec(PIPELINE))
    (root / "steps" / PIPELINE / "pipeline.json").write_text(spec.to_json())
    write_files(root / "manifests" / PIPELINE, render_manifests(spec, ArgoOptions(notebook="nb")))
    return root


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides",
    [{}, {"prefix": "0042", "flag": "false", "cols": '["z"]', "opts": "{}", "n": "3"}],
    ids=["defaults", "overridden"],
)
def test_manifest_commands_match_direct_calls(tmp_path: Path, overrides: dict[str, str]) -> None:
    root = _project(tmp_path)
    spec = consistent_spec(tiny_spec(PIPELINE))
    wt = load_template(root / "manifests" / PIPELINE / "base" / "workflowtemplate.yaml")
    store = tmp_path / "store"
    env = {"PYTHONPATH": os.pathsep.join([str(root), str(REPO)])}
    # the template's data_path defaults to object storage (the image holds no project data):
    # run it on the project's file, as `pipeline submit -p data_path=...` would
    local = {"data_path": spec.parameter("data_path").text}
    run = run_dag(wt, store=store, cwd=root, overrides={**local, **overrides}, env=env)

    texts = {p.name: overrides.get(p.name, p.text) for p in spec.parameters}
    params = {p.name: parse_param(p.name, texts[p.name], p.type) for p in spec.parameters}
    expected = run_directly(root, PIPELINE, params)

    pd.testing.assert_frame_equal(read_value(str(run.outputs["load"]["raw"])), expected["raw"])
    np.testing.assert_array_equal(
        read_value(str(run.outputs["left-branch"]["left"])), expected["left"]
    )
    assert read_value(str(run.outputs["right"]["right"])) == expected["right"]
    assert read_value(str(run.outputs["join"]["total"])) == expected["total"]
    assert expected["raw"]["id"].iloc[0].startswith(texts["prefix"])  # "007" stayed a string

    # every memoize key is the local runner's cache key, and names the S3 folder
    digests: dict[str, str] = {}
    for step in spec.steps:
        task = step.name.replace("_", "-")
        key = cache_key(
            code_digest=step.code_digest,
            lock_digest=spec.lock_digest,
            input_digests={name: digests[name] for name in step.inputs},
            params={name: texts[name] for name in step.params},
        )
        # `load` reads a data file: not memoized (Argo cannot hash the file), stored per run
        memoized = step.name != "load"
        assert run.cache_keys.get(task) == (key if memoized else None)
        for out in step.outputs:
            folder = run.outputs[task][out]
            where = key if memoized else "run-local-uid"
            assert folder == store / "workbench" / PIPELINE / step.name / where / out
            digests[out] = read_digest(str(folder))
            assert run.parameters[task][f"{out}-sha256"].strip() == digests[out]
