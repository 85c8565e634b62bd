"""Argo CD would sync every generated Application: each object its source builds is of a kind
its AppProject allows, in a destination the project lists (tests/gitops/project_eval.py). The
app of apps manages Applications, ApplicationSets and AppProjects: it belongs to the admin
project, which allows only those, only in the Argo CD namespace; the workload project allows
none of them."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.gitops import project_eval

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "manifests" / "platform"


def _projects() -> dict[str, dict]:
    text = (PLATFORM / "argocd" / "appproject.yaml").read_text()
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(text) if d}


@pytest.mark.integration
def test_every_application_of_the_committed_platform_is_within_its_project() -> None:
    assert project_eval.problems(REPO, PLATFORM) == []


def test_the_root_application_is_in_the_admin_project_and_it_allows_only_argocd() -> None:
    projects = _projects()
    (root,) = [
        a
        for a in project_eval.applications(PLATFORM)
        if a["metadata"]["name"] == "workbench-platform"
    ]
    assert root["spec"]["project"] == "workbench-admin"
    admin = projects["workbench-admin"]["spec"]
    assert admin["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    ]
    assert {(k["group"], k["kind"]) for k in admin["namespaceResourceWhitelist"]} == {
        ("argoproj.io", "Application"),
        ("argoproj.io", "ApplicationSet"),
        ("argoproj.io", "AppProject"),
    }
    assert admin["clusterResourceWhitelist"] == []
    workload = projects["workbench"]
    for kind in ("Application", "ApplicationSet", "AppProject"):
        for namespaced in (True, False):
            assert not project_eval.kind_permitted(workload, "argoproj.io", kind, namespaced)
    assert "argocd" not in {d["namespace"] for d in workload["spec"]["destinations"]}
    # every other Application and ApplicationSet is a workload one
    others = [
        a
        for a in project_eval.applications(PLATFORM)
        if a["metadata"]["name"] != "workbench-platform"
    ]
    assert others and {
        a["metadata"]["name"]: a["spec"]["project"]
        for a in others
        if a["spec"]["project"] != "workbench"
    } == {"workbench-ci": "workbench-ci"}


def test_only_the_ci_project_may_create_secrets_and_only_in_the_ci_namespace() -> None:
    """A workload Application that could create a Secret could mint the token of any account of
    its namespace (type kubernetes.io/service-account-token); the CI accounts' token Secrets
    are the platform's only ones, and their project reaches the CI namespace alone."""
    projects = _projects()
    assert set(projects) == {"workbench", "workbench-admin", "workbench-ci"}
    for name in ("workbench", "workbench-admin"):
        assert not project_eval.kind_permitted(projects[name], "", "Secret", True), name
    ci = projects["workbench-ci"]
    assert project_eval.kind_permitted(ci, "", "Secret", True)
    assert ci["spec"]["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "workbench-ci"}
    ]
    # CreateNamespace=true: Argo CD checks the Namespace against the cluster-scoped whitelist
    assert ci["spec"]["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    built = {
        (d["kind"], d["metadata"]["name"])
        for path in (PLATFORM / "ci").glob("*.yaml")
        for d in yaml.safe_load_all(path.read_text())
        if d and d.get("kind") == "Secret"
    }
    assert built, "the CI folder's token Secrets"


@pytest.mark.integration
def test_the_model_refuses_what_argocd_refuses(tmp_path: Path) -> None:
    """The check can fail: the root app back in the workload project, a kind dropped from a
    whitelist (each project's) and a destination dropped are each named."""
    platform = tmp_path / "manifests" / "platform"
    for folder in ("argocd",):
        (platform / folder).mkdir(parents=True)
    projects = _projects()
    workload = copy.deepcopy(projects["workbench"])
    workload["spec"]["namespaceResourceWhitelist"] = [
        k for k in workload["spec"]["namespaceResourceWhitelist"] if k["kind"] != "WorkflowTemplate"
    ]
    workload["spec"]["destinations"] = [
        d for d in workload["spec"]["destinations"] if d["namespace"] != "argo-events"
    ]
    ci = copy.deepcopy(projects["workbench-ci"])
    ci["spec"]["namespaceResourceWhitelist"] = [
        k for k in ci["spec"]["namespaceResourceWhitelist"] if k["kind"] != "Secret"
    ]
    (platform / "argocd" / "appproject.yaml").write_text(
        yaml.safe_dump_all([projects["workbench-admin"], workload, ci])
    )
    apps = project_eval.applications(PLATFORM)
    for app in apps:
        if app["metadata"]["name"] == "workbench-platform":
            app["spec"]["project"] = "workbench"
    (platform / "argocd" / "apps.yaml").write_text(yaml.safe_dump_all(apps))
    # the sources: the repository's own paths, read from this repository
    found = "\n".join(project_eval.problems(REPO, platform))
    assert "workbench-platform: destination" in found
    assert "workbench-platform: AppProject 'workbench-admin'" in found
    assert "workbench-platform: Application 'workbench-platform'" in found
    assert "train-staging: WorkflowTemplate 'train'" in found
    assert "workbench-ci: Secret 'workbench-ci.service-account-token'" in found
    assert "workbench-events: destination" in found
