"""The built manifests, read back: which objects a rehearsal needs and whether it can model them.

Every key the rehearsal does not model is refused by its path (`spec.templates[2].script`), so
a construct workbench starts to emit, or an overlay patch adds, cannot pass unrehearsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from workbench.core.errors import WorkbenchError

# key -> allowed sub-keys (None: the value is taken as a whole)
_SPEC = {
    "entrypoint", "templates", "arguments", "volumes", "serviceAccountName", "securityContext",
    "artifactRepositoryRef", "activeDeadlineSeconds", "ttlStrategy", "podGC", "onExit",
}  # fmt: skip
_TEMPLATE = {
    "name", "dag", "container", "inputs", "outputs", "metadata", "retryStrategy",
    "activeDeadlineSeconds", "memoize", "parallelism",
}  # fmt: skip
_CONTAINER = {
    "image", "command", "args", "env", "volumeMounts", "resources", "securityContext",
    "workingDir", "imagePullPolicy",
}  # fmt: skip
_TASK = {"name", "template", "arguments", "depends", "withParam", "withSequence"}
_SEQUENCE = {"count"}  # not start/end/format
_VOLUME = {"name", "emptyDir", "persistentVolumeClaim"}


@dataclass(frozen=True)
class Built:
    """The documents `kubectl kustomize` printed, indexed by (kind, name)."""

    docs: Mapping[tuple[str, str], Mapping[str, Any]]

    @classmethod
    def parse(cls, text: str) -> Built:
        docs = {}
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict) and "kind" in doc:
                docs[(str(doc["kind"]), str(doc.get("metadata", {}).get("name", "")))] = doc
        return cls(docs)

    def get(self, kind: str, name: str) -> Mapping[str, Any]:
        found = self.docs.get((kind, name))
        if found is None:
            have = sorted(n for k, n in self.docs if k == kind)
            raise WorkbenchError(f"no {kind} {name!r} in the built overlay (have: {have})")
        return found

    def config_maps(self) -> dict[str, Mapping[str, str]]:
        return {n: d.get("data", {}) or {} for (k, n), d in self.docs.items() if k == "ConfigMap"}


def _only(obj: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    extra = sorted(set(obj) - set(allowed))
    if extra:
        raise WorkbenchError(
            f"{where}.{extra[0]}: not part of what workbench emits, so the rehearsal does not "
            "model it (it checks our own manifests; it is not a second Argo)"
        )


def check_subset(template: Mapping[str, Any]) -> None:
    """Refuse, by path, every field of a WorkflowTemplate the rehearsal would silently ignore."""
    name = template["metadata"]["name"]
    spec = template["spec"]
    _only(spec, _SPEC, f"WorkflowTemplate {name}: spec")
    for v, volume in enumerate(spec.get("volumes", [])):
        _only(volume, _VOLUME, f"spec.volumes[{v}]")
    for i, tpl in enumerate(spec["templates"]):
        where = f"WorkflowTemplate {name}: spec.templates[{i}]"
        _only(tpl, _TEMPLATE, where)
        if "container" in tpl:
            _only(tpl["container"], _CONTAINER, f"{where}.container")
            for e, env in enumerate(tpl["container"].get("env", [])):
                source = env.get("valueFrom", {})
                _only(source, {"configMapKeyRef", "secretKeyRef"}, f"{where}.container.env[{e}]")
        elif "dag" in tpl:
            _only(tpl["dag"], {"tasks"}, f"{where}.dag")
            for t, task in enumerate(tpl["dag"]["tasks"]):
                _only(task, _TASK, f"{where}.dag.tasks[{t}]")
                if "withSequence" in task:
                    _only(task["withSequence"], _SEQUENCE, f"{where}.dag.tasks[{t}].withSequence")
        else:
            raise WorkbenchError(f"{where}: neither container nor dag (not modelled)")
        for a, art in enumerate(tpl.get("outputs", {}).get("artifacts", [])):
            if art.get("archive") != {"none": {}}:
                raise WorkbenchError(
                    f"{where}.outputs.artifacts[{a}]: only archive none is modelled"
                )


def templates_by_name(template: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {t["name"]: t for t in template["spec"]["templates"]}
