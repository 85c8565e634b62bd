"""The papermill WorkflowTemplate, the sweep and the CronWorkflow."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from workbench.spec.model import PipelineSpec

# the canonical texts of the parameter model, which `workbench run -p` parses by declared type
PAPERMILL_TEXTS = {
    "flag": "True",
    "n": "5",
    "scale": "1.5",
    "prefix": "007",
    "cols": "['a', 'b']",
    "opts": """{'k': 1, 'quote': "it's"}""",
    "nothing": "None",
    "data_path": "s3://workbench-data/tiny.csv",  # the image holds no data/: object storage
}


def _docs(path: Path) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(path.read_text()) if d}


def _templates(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in doc["spec"]["templates"]}


def test_papermill_keeps_parameter_types(manifests: Path, spec: PipelineSpec) -> None:
    """-r for str (kept raw: "007"), -p for the rest, with papermill-style default texts."""
    doc = _docs(manifests / "base" / "notebook-workflowtemplate.yaml")["tiny-notebook"]
    papermill = _templates(doc)["papermill"]
    c = papermill["container"]
    assert c["image"] == "workbench/tiny-steps:dev"
    argv = c["command"] + c["args"]
    assert argv[:3] == ["workbench", "run", "notebooks/tiny.ipynb"]
    pairs = {argv[i + 1]: (argv[i], argv[i + 2]) for i in range(3, len(argv) - 2, 3)}
    # every parameter, lists and dicts included, passes typed
    assert sorted(pairs) == sorted(PAPERMILL_TEXTS)
    for p in spec.parameters:
        if p.name in pairs:
            flag = "-r" if p.type == "str" else "-p"
            assert pairs[p.name] == (flag, f"{{{{inputs.parameters.{p.name}}}}}")
    params = {p["name"]: p["value"] for p in doc["spec"]["arguments"]["parameters"]}
    assert params == PAPERMILL_TEXTS
    assert argv[-2:] == ["--output", "/tmp/outputs/executed.ipynb"]
    (art,) = papermill["outputs"]["artifacts"]
    assert art["path"] == "/tmp/outputs/executed.ipynb" and art["optional"] is True
    assert "{{workflow.name}}" in art["s3"]["key"]
    run = _templates(doc)["notebook"]["dag"]["tasks"][0]
    passed = {p["name"]: p["value"] for p in run["arguments"]["parameters"]}
    assert passed == {n: f"{{{{workflow.parameters.{n}}}}}" for n in PAPERMILL_TEXTS}


def test_sweep_fans_out_and_reports_the_best_run(manifests: Path) -> None:
    doc = _docs(manifests / "base" / "notebook-workflowtemplate.yaml")["tiny-sweep"]
    templates = _templates(doc)
    tasks = {t["name"]: t for t in templates[doc["spec"]["entrypoint"]]["dag"]["tasks"]}
    trial, best = tasks["trial"], tasks["best-run"]
    assert trial["withParam"] == "{{workflow.parameters.sweep-parameter-sets}}"
    passed = {p["name"]: p["value"] for p in trial["arguments"]["parameters"]}
    assert passed == {n: f"{{{{item.{n}}}}}" for n in PAPERMILL_TEXTS}
    assert best["depends"] == "trial.AnySucceeded"
    args = templates["best-run"]["container"]["args"]
    assert args[:2] == ["-m", "workbench.tracking.best_run"]
    assert args[args.index("--metric") + 1] == "{{workflow.parameters.sweep-metric}}"
    # only this sweep's trials: they carry its name (WORKBENCH_WORKFLOW -> the run's tag)
    assert args[args.index("--workflow") + 1] == "{{workflow.name}}"
    params = {p["name"]: p for p in doc["spec"]["arguments"]["parameters"]}
    sets = json.loads(params["sweep-parameter-sets"]["value"])
    assert sets == [PAPERMILL_TEXTS]
    assert params["sweep-direction"]["enum"] == ["max", "min"]


def test_papermill_containers_know_their_workflow(manifests: Path) -> None:
    docs = _docs(manifests / "base" / "notebook-workflowtemplate.yaml")
    for name in ("tiny-notebook", "tiny-sweep"):
        env = _templates(docs[name])["papermill"]["container"]["env"]
        assert {"name": "WORKBENCH_WORKFLOW", "value": "{{workflow.name}}"} in env, name


def test_cron_runs_the_template_by_reference(manifests: Path) -> None:
    cron = _docs(manifests / "base" / "cronworkflow.yaml")["tiny-scheduled"]["spec"]
    assert cron["workflowSpec"]["workflowTemplateRef"] == {"name": "tiny"}
    assert "templates" not in cron["workflowSpec"]
    # only the data location is the schedule's own (the overlays patch it); the base names the
    # object-storage placeholder, every other parameter comes from the WorkflowTemplate
    data = cron["workflowSpec"]["arguments"]["parameters"]
    assert data == [{"name": "data_path", "value": "s3://workbench-data/tiny.csv"}]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["schedules"] and cron["timezone"]
    assert cron["startingDeadlineSeconds"] > 0
    assert cron["successfulJobsHistoryLimit"] > 0 and cron["failedJobsHistoryLimit"] > 0


def test_papermill_texts_parse_back_to_the_defaults(spec: PipelineSpec) -> None:
    """The default texts, parsed by `workbench run -p`'s own parser, are the defaults."""
    from workbench.emit.argo.notebook import papermill_text
    from workbench.execute.params import NotebookParameters, Overrides, typed_overrides

    found = NotebookParameters(
        {p.name: p.default for p in spec.parameters},
        {p.name: p.type for p in spec.parameters},
        (0,),
        0,
    )
    texts = {p.name: papermill_text(p) for p in spec.parameters}
    values = typed_overrides("tiny.ipynb", found, Overrides(texts, {}))
    for p in spec.parameters:
        assert values[p.name] == p.default and type(values[p.name]) is type(p.default), p


def test_data_uri_placeholders() -> None:
    from workbench.emit.argo.cron import data_uri

    assert data_uri("data/raw/breast_cancer.csv") == "s3://workbench-data/raw/breast_cancer.csv"
    assert data_uri("./data/x.parquet", "s3://bucket/") == "s3://bucket/x.parquet"
    assert data_uri("tables/x.csv") == "s3://workbench-data/tables/x.csv"
    assert data_uri("s3://elsewhere/x.csv") == "s3://elsewhere/x.csv"  # already a URI


def test_no_data_parameter_means_no_cron_arguments(spec: PipelineSpec) -> None:
    from dataclasses import replace

    from workbench.emit.argo import ArgoOptions, render_manifests

    bare = replace(spec, parameters=tuple(p for p in spec.parameters if p.name != "data_path"))
    files = render_manifests(bare, ArgoOptions(notebook=bare.notebook))
    (cron,) = [d for d in yaml.safe_load_all(files["base/cronworkflow.yaml"]) if d]
    assert "arguments" not in cron["spec"]["workflowSpec"]
    overlay = yaml.safe_load(files["overlays/staging/kustomization.yaml"])
    assert "/spec/workflowSpec/arguments" not in json.dumps(overlay)


@pytest.mark.integration
def test_overlays_point_the_scheduled_run_at_object_storage(manifests: Path) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to build the overlays"
    for overlay in ("staging", "production"):
        out = subprocess.run(
            [kubectl, "kustomize", str(manifests / "overlays" / overlay)],
            capture_output=True,
            text=True,
            check=True,
        )
        docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out.stdout) if d}
        cron = docs[("CronWorkflow", "tiny-scheduled")]["spec"]
        assert cron["workflowSpec"]["arguments"]["parameters"] == [
            {"name": "data_path", "value": "s3://workbench-data/tiny.csv"}
        ]
        template = docs[("WorkflowTemplate", "tiny")]["spec"]["arguments"]["parameters"]
        # the template's default is object storage too (the image holds no data/)
        assert {p["name"]: p["value"] for p in template}[
            "data_path"
        ] == "s3://workbench-data/tiny.csv"
