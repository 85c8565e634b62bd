"""A small model of how Argo CD fences an Application by its AppProject, to check a generated
platform without a cluster: every object the Application's source builds (`kubectl kustomize`
on its path) must be of a kind the project allows and go to a destination the project lists.

Modelled on Argo CD's pkg/apis/application/v1alpha1 (AppProject.IsGroupKindPermitted,
isResourceInList, IsDestinationPermitted): a namespaced kind is allowed when the
namespaceResourceWhitelist is absent or matches it, a cluster-scoped kind only when the
clusterResourceWhitelist matches it (an empty list allows none), blacklists subtract; group and
kind match as shell globs. A namespaced object's namespace (its own, or the Application's
destination) and the destination server must match a listed destination. Features it does not
model (negated destinations, destination names, multiple sources) are refused, not ignored.
"""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path
from typing import Any

import yaml

# kinds whose objects are cluster-scoped, among those a workbench platform can build; Upbound's
# managed resources and ProviderConfigs (group *.upbound.io) are cluster-scoped as well
CLUSTER_SCOPED = {
    ("", "Namespace"),
    ("", "PersistentVolume"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
}


def group_of(doc: dict[str, Any]) -> str:
    api = str(doc["apiVersion"])
    return api.split("/", 1)[0] if "/" in api else ""


def is_namespaced(group: str, kind: str) -> bool:
    return (group, kind) not in CLUSTER_SCOPED and not group.endswith(".upbound.io")


def _in_list(group: str, kind: str, entries: list[dict[str, str]] | None) -> bool:
    return any(
        fnmatch.fnmatchcase(kind, e["kind"]) and fnmatch.fnmatchcase(group, e["group"])
        for e in entries or []
    )


def kind_permitted(project: dict[str, Any], group: str, kind: str, namespaced: bool) -> bool:
    spec = project["spec"]
    if namespaced:
        white = spec.get("namespaceResourceWhitelist")
        allowed = white is None or _in_list(group, kind, white)
        return allowed and not _in_list(group, kind, spec.get("namespaceResourceBlacklist"))
    allowed = _in_list(group, kind, spec.get("clusterResourceWhitelist"))
    return allowed and not _in_list(group, kind, spec.get("clusterResourceBlacklist"))


def destination_permitted(project: dict[str, Any], server: str, namespace: str) -> bool:
    for dest in project["spec"].get("destinations", []):
        if "name" in dest or any(str(v).startswith("!") for v in dest.values()):
            raise NotImplementedError(f"destination {dest}: not modelled")
        if fnmatch.fnmatchcase(server, dest["server"]) and fnmatch.fnmatchcase(
            namespace, dest.get("namespace", "")
        ):
            return True
    return False


def applications(folder: Path) -> list[dict[str, Any]]:
    """Every Application under FOLDER, and every ApplicationSet's template as one."""
    found = []
    for path in sorted(folder.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Application":
                found.append(doc)
            elif doc and doc.get("kind") == "ApplicationSet":
                template = doc["spec"]["template"]
                found.append({"kind": "Application", **template})
    return found


def problems(root: Path, platform: Path) -> list[str]:
    """What Argo CD would refuse, for every Application of PLATFORM whose sources are paths of
    ROOT (the repository): one line per refused object, naming app, kind and reason."""
    projects = {
        d["metadata"]["name"]: d
        for path in sorted(platform.rglob("*.yaml"))
        for d in yaml.safe_load_all(path.read_text())
        if d and d.get("kind") == "AppProject"
    }
    out = []
    for app in applications(platform):
        name, spec = app["metadata"]["name"], app["spec"]
        if "sources" in spec:
            raise NotImplementedError(f"{name}: multiple sources are not modelled")
        project = projects.get(spec.get("project", "default"))
        if project is None:
            out.append(f"{name}: project {spec.get('project')!r} is not in the platform")
            continue
        source, dest = spec["source"], spec["destination"]
        if not any(
            fnmatch.fnmatchcase(source["repoURL"], r) for r in project["spec"]["sourceRepos"]
        ):
            out.append(f"{name}: repository {source['repoURL']} not in its project's sourceRepos")
        server = dest["server"]
        if not destination_permitted(project, server, dest.get("namespace", "")):
            out.append(f"{name}: destination {dest} not among its project's destinations")
        built = subprocess.run(
            ["kubectl", "kustomize", str(root / source["path"])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for doc in yaml.safe_load_all(built):
            if not doc:
                continue
            group, kind = group_of(doc), doc["kind"]
            namespaced = is_namespaced(group, kind)
            what = f"{name}: {kind} {doc['metadata']['name']!r} ({group or 'core'})"
            if not kind_permitted(project, group, kind, namespaced):
                scope = "namespaceResourceWhitelist" if namespaced else "clusterResourceWhitelist"
                out.append(f"{what}: kind not allowed by {project['metadata']['name']}'s {scope}")
            namespace = doc["metadata"].get("namespace") or dest.get("namespace", "")
            if namespaced and not destination_permitted(project, server, namespace):
                out.append(f"{what}: namespace {namespace!r} not among its project's destinations")
    return out
