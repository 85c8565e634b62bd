"""The serving emitter: deterministic files, every variant valid against the official schemas
(the shared validator, `kubectl kustomize`), hardened pods, the Seldon path routed by Istio, and
the pipeline's deploy task. Besides the example, a pipeline of another domain and name."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.argo.argo_helpers import tiny_spec
from workbench.emit.argo import ArgoOptions
from workbench.emit.argo.pipeline import workflow_template
from workbench.emit.serving import ServingOptions, render_serving
from workbench.emit.serving.docker import emit_serving_image
from workbench.emit.serving.options import VARIANTS
from workbench.spec import load_spec
from workbench.spec.model import ParamSpec, PipelineSpec

REPO = Path(__file__).resolve().parents[2]
VALIDATOR = REPO.parent / "shared" / "tools" / "validate_manifests.py"
KINDS = {
    "seldon": {"SeldonDeployment", "Gateway", "VirtualService", "NetworkPolicy"},
    "kserve": {"InferenceService", "NetworkPolicy"},
    "plain": {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    },
}
COMMON = {"ServiceAccount", "ConfigMap"}


def example() -> PipelineSpec:
    return load_spec(REPO / "steps" / "train" / "pipeline.json")


def churn() -> PipelineSpec:
    """Another domain: a pipeline named churn_scoring registering `churn-gbm`."""
    spec = tiny_spec("churn_scoring")
    return replace(spec, parameters=(*spec.parameters, ParamSpec("model_name", "str", "churn-gbm")))


def write(root: Path, spec: PipelineSpec, variant: str) -> Path:
    files = render_serving(spec, ServingOptions(notebook="nb.ipynb", enabled=variant))
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def kustomize(folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run(["kubectl", "kustomize", str(folder)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def pod_specs(doc: dict[str, Any]) -> list[dict[str, Any]]:
    kind = doc["kind"]
    if kind == "SeldonDeployment":
        return [c["spec"] for p in doc["spec"]["predictors"] for c in p["componentSpecs"]]
    if kind == "InferenceService":
        return [doc["spec"]["predictor"]]
    if kind == "Deployment":
        return [doc["spec"]["template"]["spec"]]
    return []


def test_generation_is_deterministic_and_names_no_machine_path() -> None:
    for spec in (example(), churn()):
        options = ServingOptions(notebook="notebooks/x.ipynb")
        first, second = render_serving(spec, options), render_serving(spec, options)
        assert first == second and list(first) == sorted(first)
        image = emit_serving_image(spec, object())
        assert image == emit_serving_image(spec, object())
        for text in [*first.values(), *image.values()]:
            assert str(REPO) not in text and "/root" not in text and "\r" not in text


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The churn pipeline's serving manifests, once per enabled variant."""
    return {
        v: write(tmp_path_factory.mktemp(v) / "manifests" / "churn_scoring", churn(), v)
        for v in VARIANTS
    }


@pytest.mark.integration
@pytest.mark.slow
def test_every_variant_passes_the_shared_validator(trees: dict[str, Path]) -> None:
    out = subprocess.run(
        [sys.executable, str(VALIDATOR), "-q", "--kustomize", *map(str, trees.values())],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "FAIL" not in out.stdout


@pytest.mark.integration
@pytest.mark.parametrize("variant", VARIANTS)
def test_overlays_enable_one_variant_and_every_base_builds(
    trees: dict[str, Path], variant: str
) -> None:
    root = trees[variant]
    for other in VARIANTS:  # the bases an overlay does not enable still build
        kinds = {d["kind"] for d in kustomize(root / "base" / "serving" / other)}
        assert kinds == KINDS[other] | COMMON
    for env in ("staging", "production"):
        docs = kustomize(root / "overlays" / env / "serving")
        assert {d["kind"] for d in docs} == KINDS[variant] | COMMON
        namespace = f"churn-scoring-{env}"
        assert {d["metadata"]["namespace"] for d in docs} == {namespace}
        config = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
        gitops = config.pop("churn-scoring-gitops")["data"]
        assert gitops["path"] == f"manifests/churn_scoring/overlays/{env}/serving"
        ((served_name, served),) = config.items()
        assert served["data"]["champion"] == "models:/churn-gbm@champion"
        for doc in docs:
            for pod in pod_specs(doc):
                (container,) = pod["containers"]
                # production's seed pins nothing before CI's first promotion (digests only):
                # the base's development tag shows through
                tag = "staging" if env == "staging" else "dev"
                assert container["image"] == f"workbench/churn-scoring-serving:{tag}"
                refs = [
                    e["valueFrom"]["configMapKeyRef"]["name"]
                    for e in container["env"]
                    if "configMapKeyRef" in e.get("valueFrom", {})
                ]
                assert refs and set(refs) == {served_name}  # the hash-suffixed name
        if variant == "seldon":
            (vs,) = [d for d in docs if d["kind"] == "VirtualService"]
            (route,) = vs["spec"]["http"]
            assert route["match"] == [{"uri": {"prefix": f"/seldon/{namespace}/churn-gbm/"}}]
            assert route["rewrite"] == {"uri": "/"}
            hosts = {r["destination"]["host"]: r["weight"] for r in route["route"]}
            assert hosts == {"churn-gbm-champion": 100, "churn-gbm-challenger": 0}
            (sdep,) = [d for d in docs if d["kind"] == "SeldonDeployment"]
            # seldon-core names a predictor's Service <deployment>-<predictor>
            assert {
                f"{sdep['metadata']['name']}-{p['name']}" for p in sdep["spec"]["predictors"]
            } == set(hosts)
            assert sum(p["traffic"] for p in sdep["spec"]["predictors"]) == 100


@pytest.mark.integration
@pytest.mark.parametrize("variant", VARIANTS)
def test_pods_are_hardened_and_hold_no_secret(trees: dict[str, Path], variant: str) -> None:
    docs = kustomize(trees[variant] / "base" / "serving" / variant)
    pods = [p for d in docs for p in pod_specs(d)]
    assert pods
    for pod in pods:
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = pod["containers"]
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]} and sc["runAsUser"] >= 10000
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["path"] == "/health/ping"
            assert container[probe]["httpGet"]["port"] == container["ports"][0]["containerPort"]
        assert set(container["resources"]) == {"requests", "limits"}
        writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
        assert writable == {"/tmp"}
        for env in container["env"]:
            if any(word in env["name"] for word in ("KEY", "PASSWORD", "USERNAME", "SECRET")):
                assert "value" not in env and "secretKeyRef" in env["valueFrom"], env
        if variant == "kserve":
            assert {"name": "PROTOCOL", "value": "v2"} in container["env"]


def test_the_pipeline_ends_with_a_deploy_task_from_a_secret_reference() -> None:
    spec = example()
    wt = workflow_template(spec, ArgoOptions(notebook=spec.notebook)).to_dict()
    dag = wt["spec"]["templates"][0]["dag"]["tasks"]
    deploy = dag[-1]
    assert deploy["name"] == "deploy" and deploy["depends"] == "evaluate && promote"
    (artifact,) = deploy["arguments"]["artifacts"]
    assert artifact["from"] == "{{tasks.train.outputs.artifacts.model_version}}"
    # found by name: the lineage templates follow the step templates
    (template,) = [t for t in wt["spec"]["templates"] if t["name"] == deploy["template"]]
    container = template["container"]
    assert container["command"] == ["workbench", "deploy"]
    assert container["args"][-2:] == ["--candidate-from", "/tmp/inputs/model_version"]
    env = {e["name"]: e for e in container["env"]}
    assert (
        env["GIT_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "workbench-gitops-credentials"
    )
    assert "value" not in env["GIT_PASSWORD"]
    assert env["GITOPS_PATH"]["valueFrom"]["configMapKeyRef"]["name"] == "train-gitops"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # a pipeline that registers no model gets no deploy task
    tiny = workflow_template(tiny_spec("tiny"), ArgoOptions(notebook="nb")).to_dict()
    assert all(t["name"] != "deploy" for t in tiny["spec"]["templates"])


def test_serving_image_shares_the_steps_base_runs_non_root_and_pins_its_packages() -> None:
    from importlib.metadata import version

    spec = example()
    files = {p.rsplit("/", 1)[-1]: t for p, t in emit_serving_image(spec, object()).items()}
    dockerfile = files["serving.Dockerfile"]
    steps = (REPO / "steps" / "train" / "Dockerfile").read_text()
    base = next(line for line in steps.splitlines() if line.startswith("FROM "))
    assert f"{base} AS serving" in dockerfile and "FROM serving AS deploy" in dockerfile
    users = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users[0] == "USER 10001:10001" and users[-1] == "USER 10001:10001"
    pins = [line for line in files["serving-requirements.txt"].splitlines() if "==" in line]
    assert pins and all(not line.startswith("#") for line in pins)
    for line in pins:
        dist, _, pinned = line.partition("==")
        assert version(dist) == pinned
    assert {"starlette", "uvicorn", "orjson", "mlflow"} <= {p.partition("==")[0] for p in pins}
    ignore = files["serving.Dockerfile.dockerignore"].splitlines()
    assert ignore[ignore.index("*") :][:1] == ["*"]  # everything else stays out of the build
