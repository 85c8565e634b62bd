"""The pipeline WorkflowTemplate mirrors the spec: DAG, commands, parameters, hardening, cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from argo_helpers import tiny_spec
from argo_local_exec import evaluate_expression

from workbench.core.errors import WorkbenchError
from workbench.core.hashing import cache_key
from workbench.emit.argo import ArgoOptions, render_manifests
from workbench.emit.argo.cachekey import cache_key_expression, names_a_file
from workbench.spec.model import PipelineSpec, StepSpec


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _containers(manifests: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name in ("workflowtemplate.yaml", "notebook-workflowtemplate.yaml"):
        for doc in _docs(manifests / "base" / name):
            out += [(t["name"], t) for t in doc["spec"]["templates"] if "container" in t]
    return out


def test_dag_mirrors_spec(manifests: Path, spec: PipelineSpec) -> None:
    (wt,) = _docs(manifests / "base" / "workflowtemplate.yaml")
    templates = {t["name"]: t for t in wt["spec"]["templates"]}
    tasks = {t["name"]: t for t in templates[wt["spec"]["entrypoint"]]["dag"]["tasks"]}
    # a first task creates the workflow's parent MLflow run; the first steps wait for it
    assert sorted(tasks) == sorted(["lineage", *(s.name.replace("_", "-") for s in spec.steps)])
    assert wt["spec"]["onExit"] == "lineage-end"
    for step in spec.steps:
        task = tasks[step.name.replace("_", "-")]
        depends = set(task.get("depends", "").split(" && ")) - {""}
        assert depends == ({d.replace("_", "-") for d in step.depends_on} or {"lineage"})
        given = {p["name"]: p["value"] for p in task["arguments"]["parameters"]}
        assert given["parent-run-id"] == "{{tasks.lineage.outputs.parameters.parent-run-id}}"
        froms = {a["name"]: a["from"] for a in task["arguments"].get("artifacts", [])}
        assert froms == {
            i: f"{{{{tasks.{step.input_sources[i].replace('_', '-')}.outputs.artifacts.{i}}}}}"
            for i in step.inputs
        }
        container = templates[task["template"]]["container"]
        argv = container["command"] + container["args"]
        # the local runner's exact command, run as the step's child run by the lineage wrapper
        wrapper = argv[: argv.index("--") + 1]
        assert wrapper[:4] == ["python", "-m", "workbench.tracking.pod_lineage", "step"]
        assert wrapper[wrapper.index("--step") + 1] == step.name
        argv = argv[len(wrapper) :]
        expected = ["python", "-m", step.module]
        for i in step.inputs:
            expected += ["--input", f"{i}=/tmp/inputs/{i}"]
        for o in step.outputs:
            expected += ["--output", f"{o}=/tmp/outputs/{o}"]
        for p in step.params:
            expected += ["--param", f"{p}={{{{inputs.parameters.{p}}}}}"]
        assert argv == expected


def test_parameters_keep_defaults_as_texts(manifests: Path, spec: PipelineSpec) -> None:
    (wt,) = _docs(manifests / "base" / "workflowtemplate.yaml")
    got = {p["name"]: p["value"] for p in wt["spec"]["arguments"]["parameters"]}
    # a data file's project path becomes object storage: the image holds no data/
    assert got == {
        **{p.name: p.text for p in spec.parameters},
        "data_path": "s3://workbench-data/tiny.csv",
    }
    assert got["prefix"] == "007" and got["nothing"] == "None" and got["flag"] == "True"
    assert got["cols"] == "['a', 'b']" and got["scale"] == "1.5"


def test_step_templates_carry_runtime_settings(manifests: Path) -> None:
    (wt,) = _docs(manifests / "base" / "workflowtemplate.yaml")
    memoized = []
    for t in wt["spec"]["templates"]:
        if "container" not in t:
            continue
        assert t["retryStrategy"]["limit"] >= 1
        assert t["activeDeadlineSeconds"] > 0
        res = t["container"]["resources"]
        assert set(res) == {"requests", "limits"}
        if t["name"] == "step-load":  # takes data_path: Argo cannot hash the file it names
            assert "memoize" not in t
            assert "cache-key" not in [p["name"] for p in t["inputs"]["parameters"]]
            key = t["outputs"]["artifacts"][0]["s3"]["key"]
            assert key == "workbench/tiny/load/run-{{workflow.uid}}/raw"
            continue
        if t["name"].startswith("lineage-"):  # MLflow runs: never memoized, no artifacts
            assert "memoize" not in t and not t.get("outputs", {}).get("artifacts")
            continue
        memoized.append(t["name"])
        assert t["memoize"]["key"] == "{{inputs.parameters.cache-key}}"
        assert t["memoize"]["maxAge"].endswith("h")
        assert t["memoize"]["cache"]["configMap"]["name"].startswith("workbench-cache-tiny-")
        for art in t.get("outputs", {}).get("artifacts", []):
            key = art["s3"]["key"]
            assert (
                key
                == f"workbench/tiny/{key.split('/')[2]}/{{{{inputs.parameters.cache-key}}}}/{art['name']}"
            )
            assert art["archive"] == {"none": {}}
    assert memoized == ["step-left-branch", "step-right", "step-join"]
    assert wt["spec"]["artifactRepositoryRef"]["configMap"] == "tiny-artifact-repository"


@pytest.mark.parametrize(
    ("text", "file"),
    [
        ("data/raw.csv", True),
        ("s3://b/k", True),
        ("x.parquet", True),
        ("007", False),
        ("breast-cancer", False),
        ("hello world", False),
    ],
)
def test_names_a_file(text: str, file: bool) -> None:
    assert names_a_file(text) is file


def test_every_pod_is_hardened(manifests: Path) -> None:
    for name in ("workflowtemplate.yaml", "notebook-workflowtemplate.yaml"):
        for doc in _docs(manifests / "base" / name):
            spec = doc["spec"]
            assert spec["serviceAccountName"] == "tiny-workflow"
            pod = spec["securityContext"]
            assert pod["runAsNonRoot"] is True and isinstance(pod["runAsUser"], int)
            assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
            volumes = {v["name"]: v for v in spec["volumes"]}
            # bounded: a runaway step is evicted instead of filling the node's disk
            assert volumes["scratch"] == {"name": "scratch", "emptyDir": {"sizeLimit": "2Gi"}}
            assert volumes["model-store"]["persistentVolumeClaim"]["claimName"]
    containers = _containers(manifests)
    # steps, lineage start and end, papermill, papermill + best-run
    assert len(containers) == 4 + 2 + 1 + 2
    for name, t in containers:
        c = t["container"]
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"] == {"drop": ["ALL"]}, name
        assert sc["runAsNonRoot"] is True and sc["seccompProfile"]["type"] == "RuntimeDefault"
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert mounts["/tmp"] == "scratch"
        env = {e["name"]: e for e in c["env"]}
        assert env["WORKBENCH_MODEL_STORE"]["value"] in mounts
        assert env["WORKBENCH_PROJECT"]["value"] == "/app"  # explicit: the image has no pyproject
        assert c["imagePullPolicy"] == "IfNotPresent"
        assert env["MLFLOW_TRACKING_URI"]["valueFrom"]["configMapKeyRef"]["name"] == "tiny-config"
        for secret in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_PASSWORD"):
            assert "value" not in env[secret]
            assert "secretKeyRef" in env[secret]["valueFrom"]


def test_no_secret_values_anywhere(manifests: Path) -> None:
    """Credentials only as Secret references: no Secret objects, no literal credential env."""
    secretish = ("KEY", "SECRET", "PASSWORD", "TOKEN", "USERNAME")
    for path in manifests.rglob("*.yaml"):
        for doc in _docs(path):
            assert doc.get("kind") != "Secret", path
    for name, t in _containers(manifests):
        for env in t["container"]["env"]:
            if any(word in env["name"] for word in secretish):
                assert set(env) == {"name", "valueFrom"}, (name, env)
                assert "secretKeyRef" in env["valueFrom"], (name, env)
    repo = _docs(manifests / "base" / "configmap.yaml")[1]
    s3 = yaml.safe_load(repo["data"]["s3"])["s3"]
    assert set(s3["accessKeySecret"]) == {"name", "key"} == set(s3["secretKeySecret"])


def test_cache_key_expression_is_the_local_cache_key(spec: PipelineSpec) -> None:
    texts = {"n": "5", "prefix": "it's \\n 007", "flag": "true", "scale": "1.5", "data_path": "d"}
    texts |= {"cols": '["a"]', "opts": '{"q":"\\"x\\""}', "nothing": "null"}
    digests = {"raw": "1" * 64, "left": "2" * 64, "right": "3" * 64}
    tasks = {
        "load": {"raw-sha256": digests["raw"] + "\n"},
        "left-branch": {"left-sha256": digests["left"]},
        "right": {"right-sha256": digests["right"] + "\n"},
    }
    scope = {"workflow": {"parameters": texts}, "tasks": tasks}
    for step in spec.steps:
        expr = cache_key_expression(spec, step)
        assert expr.startswith("{{=") and expr.endswith("}}")
        expected = cache_key(
            code_digest=step.code_digest,
            lock_digest=spec.lock_digest,
            input_digests={i: digests[i] for i in step.inputs},
            params={p: texts[p] for p in step.params},
        )
        assert evaluate_expression(expr[3:-2], scope) == expected


def test_quotes_in_static_digests_are_escaped() -> None:
    odd = StepSpec(name="odd", module="m", cells=(), code_digest="it's\\odd")
    spec = PipelineSpec(name="x", notebook="n", parameters=(), steps=(odd,), lock_digest="l'")
    expr = cache_key_expression(spec, odd)
    got = evaluate_expression(expr[3:-2], {"workflow": {"parameters": {}}, "tasks": {}})
    assert got == cache_key(code_digest="it's\\odd", lock_digest="l'", input_digests={}, params={})


def test_render_is_deterministic_and_says_where_it_came_from(spec: PipelineSpec) -> None:
    options = ArgoOptions(notebook="notebooks/tiny.ipynb")
    first, second = render_manifests(spec, options), render_manifests(tiny_spec(), options)
    assert first == second
    for path, text in first.items():
        if path.startswith("overlays/"):  # written once, then edited by GitOps
            assert text.startswith("# Seeded by workbench productionize from notebooks/tiny.ipynb")
            assert "yours to edit" in text.splitlines()[0]
            continue
        assert text.startswith("# Generated by workbench productionize from notebooks/tiny.ipynb")
        assert "do not edit" in text.splitlines()[0]
        assert "/tmp/pytest" not in text and "\r" not in text, path


def test_task_name_clash_is_a_clear_error() -> None:
    spec = tiny_spec()
    clash = StepSpec(name="left-branch", module="m", cells=(), depends_on=())
    bad = PipelineSpec(
        name="tiny", notebook="n", parameters=spec.parameters, steps=(*spec.steps, clash)
    )
    with pytest.raises(WorkbenchError, match=r"left_branch.*left-branch"):
        render_manifests(bad, ArgoOptions(notebook="n"))


def test_emit_argo_entry_point_uses_the_context(spec: PipelineSpec) -> None:
    from dataclasses import dataclass

    from workbench.emit.argo import emit_argo

    @dataclass(frozen=True)
    class Ctx:  # the shape of workbench.emit.EmitContext
        notebook: str
        name: str

        def header(self) -> str:
            return f"# Generated from {self.notebook}. Do not edit.\n"

    files = emit_argo(spec, Ctx(notebook="notebooks/tiny.ipynb", name="tiny"))
    assert "manifests/tiny/base/workflowtemplate.yaml" in files
    assert "manifests/tiny/overlays/production/kustomization.yaml" in files
    assert all(p.startswith("manifests/tiny/") for p in files)
    head = "# Generated from notebooks/tiny.ipynb. Do not edit.\n"
    base = {p: t for p, t in files.items() if "/overlays/" not in p}
    assert all(t.startswith(head) and not t.startswith(head + "#") for t in base.values())
    (wt,) = _docs_text(files["manifests/tiny/base/notebook-workflowtemplate.yaml"])[:1]
    args = next(t for t in wt["spec"]["templates"] if t["name"] == "papermill")["container"]["args"]
    assert args[:2] == ["run", "notebooks/tiny.ipynb"]


def _docs_text(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]
