"""The emitted files pass the tools a cluster would apply: the manifest validator (official
Argo v4 schemas, strict, with lint), `kubectl kustomize` per overlay, and checkov."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from argo_helpers import checkov_binary, shared_tool

from workbench.emit.argo.kustomize import default_overlays

IMAGE = "workbench/tiny-steps"


def _images(doc: dict[str, Any]) -> list[str]:
    spec = doc.get("spec", {})
    spec = spec.get("workflowSpec", spec)
    return [t["container"]["image"] for t in spec.get("templates", []) if "container" in t]


def _kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to build the overlays"
    out = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.mark.integration
@pytest.mark.slow
def test_validate_manifests_with_kustomize(manifests: Path) -> None:
    tool = shared_tool("tools/validate_manifests.py")
    out = subprocess.run(
        [sys.executable, str(tool), str(manifests.parent), "--kustomize", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    results = json.loads(out.stdout)
    rows = results["results"] if isinstance(results, dict) else results
    kinds = {r["kind"] for r in rows if r["status"] == "OK"}
    assert {"WorkflowTemplate", "CronWorkflow", "Role", "PersistentVolumeClaim"} <= kinds


@pytest.mark.integration
@pytest.mark.parametrize("overlay", default_overlays("tiny"), ids=lambda o: o.name)
def test_overlay_builds_with_its_tag_everywhere(manifests: Path, overlay: Any) -> None:
    docs = _kustomize(manifests / "overlays" / overlay.name)
    images = [i for d in docs for i in _images(d)]
    # 4 steps, lineage start and end + papermill + papermill and best-run of the sweep +
    # worker and promote of the tuning fan-out; the cron refers to the template
    assert len(images) == 11
    # production's seed only names the images (pinned by digest at the first promotion): the
    # base's tag shows through until then
    assert set(images) == {f"{IMAGE}:{overlay.image_tag or 'dev'}"}
    assert {d["metadata"]["namespace"] for d in docs} == {overlay.namespace}
    cron = next(d for d in docs if d["kind"] == "CronWorkflow")
    assert cron["spec"]["schedules"] == list(overlay.schedules)
    template = next(d for d in docs if d["metadata"]["name"] == "tiny")
    for t in template["spec"]["templates"]:
        if "container" in t and not t["name"].startswith("lineage-"):  # base size: small pods
            limits = t["container"]["resources"]["limits"]
            assert limits["memory"] == overlay.resources.memory_limit
    binding = next(d for d in docs if d["kind"] == "RoleBinding")
    assert binding["subjects"][0]["namespace"] == overlay.namespace


@pytest.mark.integration
@pytest.mark.slow
def test_checkov_reports_no_failed_check(manifests: Path) -> None:
    out = subprocess.run(
        [
            checkov_binary(),
            "-d",
            str(manifests.parent),
            "--framework",
            "kubernetes",
            "argo_workflows",
            "--skip-download",
            "--output",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(out.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        (c["check_id"], c["file_path"], c.get("resource"))
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    assert failed == [], failed
    summaries = {r["check_type"]: r["summary"] for r in reports}
    # both frameworks really looked at the files (an empty report would pass vacuously)
    assert summaries["argo_workflows"]["passed"] > 0, summaries
    assert summaries["kubernetes"]["passed"] > 0, summaries
    assert all(s["parsing_errors"] == 0 for s in summaries.values()), summaries
    assert out.returncode == 0, out.stderr


@pytest.mark.integration
def test_images_configuration_covers_every_argo_image_field(tmp_path: Path) -> None:
    """A Workflow, a CronWorkflow and a ClusterWorkflowTemplate with every kind of image field
    all get the tag: the transformer configuration is what makes kustomize see them."""
    from workbench.emit.argo.kustomize import IMAGES_CONFIG, images_configuration
    from workbench.emit.argo.render import dump_dict

    def templates() -> list[dict[str, Any]]:
        return [
            {"name": "c", "container": {"image": IMAGE}},
            {"name": "s", "script": {"image": IMAGE, "source": "print()"}},
            {
                "name": "i",
                "container": {"image": "other"},
                "initContainers": [{"name": "a", "image": IMAGE}],
                "sidecars": [{"name": "b", "image": IMAGE}],
            },
            {"name": "k", "containerSet": {"containers": [{"name": "x", "image": IMAGE}]}},
        ]

    docs = [
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"}},
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ClusterWorkflowTemplate",
            "metadata": {"name": "c"},
        },
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "cr"}},
    ]
    docs[0]["spec"] = {"templates": templates()}
    docs[1]["spec"] = {"templates": templates()}
    docs[2]["spec"] = {"workflowSpec": {"templates": templates()}}
    (tmp_path / "kustomizeconfig").mkdir()
    (tmp_path / IMAGES_CONFIG).write_text(dump_dict(images_configuration()))
    (tmp_path / "all.yaml").write_text("---\n".join(dump_dict(d) for d in docs))
    kustomization = {
        "resources": ["all.yaml"],
        "configurations": [IMAGES_CONFIG],
        "images": [{"name": IMAGE, "newTag": "t1"}],
    }
    (tmp_path / "kustomization.yaml").write_text(dump_dict(kustomization))
    text = yaml.safe_dump_all(_kustomize(tmp_path))
    assert text.count(f"{IMAGE}:t1") == 3 * 5
    assert f"image: {IMAGE}\n" not in text and "image: other" in text


def _committed_overlays() -> list[Path]:
    from argo_helpers import REPO

    return sorted(p.parent for p in (REPO / "manifests").glob("*/overlays/*/kustomization.yaml"))


@pytest.mark.integration
@pytest.mark.parametrize("overlay", _committed_overlays(), ids=lambda p: f"{p.parts[-3]}-{p.name}")
def test_committed_overlays_build_with_their_image(overlay: Path) -> None:
    """The repository's own manifests: each overlay builds and every template runs the image
    its kustomization names (whatever `set-image` last wrote there)."""
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    expected = set()
    for entry in kustomization["images"]:  # the steps image, and the deploy task's
        image = entry.get("newName", entry["name"])
        if "digest" in entry:
            expected.add(f"{image}@{entry['digest']}")
        elif "newTag" in entry:
            expected.add(f"{image}:{entry['newTag']}")
        else:  # only named (production before its first promotion): the base's tag
            expected.add(f"{image}:dev")
    docs = _kustomize(overlay)
    images = {i for d in docs for i in _images(d)}
    assert images == expected
    assert {d["metadata"]["namespace"] for d in docs} == {kustomization["namespace"]}


@pytest.mark.integration
@pytest.mark.parametrize("overlay", _committed_overlays(), ids=lambda p: f"{p.parts[-3]}-{p.name}")
def test_production_artifacts_go_over_tls(overlay: Path) -> None:
    """The built production overlay talks to its artifact store over TLS (Argo's artifact
    repository `insecure: false`, the steps' S3 endpoint https://); staging may keep the base's
    in-cluster plain HTTP."""
    docs = _kustomize(overlay)
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    repo = next(data for data in maps.values() if "s3" in data)
    s3 = yaml.safe_load(repo["s3"])["s3"]
    endpoint = next(data["s3-endpoint-url"] for data in maps.values() if "s3-endpoint-url" in data)
    if overlay.name == "production":
        assert s3["insecure"] is False and endpoint.startswith("https://"), (s3, endpoint)
    else:
        assert s3["insecure"] is True and endpoint.startswith("http://")
