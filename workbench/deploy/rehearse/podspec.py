"""A container template, read as the kubelet would: its environment, its mounts, its user.

The environment is the image's `ENV` plus the container's `env` (literal values,
`configMapKeyRef` from the built ConfigMaps, `secretKeyRef` from the local secrets file):
nothing from the host. Cluster service addresses in ConfigMap values are swapped for the
rehearsal's local servers, the only change made to what the manifests say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse.expr import Scope, substitute


def environment(
    container: Mapping[str, Any],
    image_env: Mapping[str, str],
    config_maps: Mapping[str, Mapping[str, str]],
    secrets: Mapping[str, Mapping[str, str]],
    endpoints: Mapping[str, str],
    scope: Scope,
    where: str,
) -> dict[str, str]:
    env = dict(image_env)
    for item in container.get("env", []):
        name = item["name"]
        if "value" in item:
            env[name] = substitute(str(item["value"]), scope, f"{where} env {name}")
            continue
        source = item.get("valueFrom", {})
        ref = source.get("configMapKeyRef") or source.get("secretKeyRef")
        store = config_maps if "configMapKeyRef" in source else secrets
        kind = "ConfigMap" if "configMapKeyRef" in source else "Secret"
        value = store.get(ref["name"], {}).get(ref["key"])
        if value is None:
            if ref.get("optional"):
                continue
            raise WorkbenchError(
                f"{where} env {name}: {kind} {ref['name']} has no key {ref['key']}"
            )
        env[name] = endpoints.get(str(value), str(value)) if kind == "ConfigMap" else str(value)
    return env


_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text: str, env: Mapping[str, str], declared: set[str]) -> str:
    """The kubelet's `$(VAR)` expansion of a command or argument: a variable the container's
    `env` defines is replaced (not the image's ENV), `$$` is a literal `$`, any other `$(X)` is
    left as written."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in declared and name in env else m.group(0)

    return _VAR_REF.sub(one, text)


def mounts(
    container: Mapping[str, Any],
    volumes: Mapping[str, Mapping[str, Any]],
    scratch: Path,
    pvcs: Path,
) -> dict[str, Path]:
    """container path -> host folder for each volume mount (emptyDir: this pod's; claim: shared)."""
    out = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"])
        if volume is None:
            raise WorkbenchError(f"volumeMount {mount['name']}: no such volume")
        if "emptyDir" in volume:
            host = scratch / mount["name"]
        else:
            host = pvcs / volume["persistentVolumeClaim"]["claimName"]
        out[mount["mountPath"]] = host
    return out


def user(
    template_spec: Mapping[str, Any], container: Mapping[str, Any], image_user: str
) -> tuple[int, int]:
    """(uid, gid): container securityContext, then the pod's, then the image's USER."""
    pod = template_spec.get("securityContext", {}) or {}
    ctx = container.get("securityContext", {}) or {}
    uid = ctx.get("runAsUser", pod.get("runAsUser"))
    gid = ctx.get("runAsGroup", pod.get("runAsGroup"))
    if uid is None and image_user:
        uid, _, group = image_user.partition(":")
        gid = gid if gid is not None else (group or uid)
    if uid is None or not str(uid).isdigit() or int(uid) == 0:
        raise WorkbenchError("the pod must run as a numeric non-root uid (runAsUser)")
    return int(uid), int(gid if gid is not None else uid)


def host_path(container_path: str, table: Mapping[str, Path]) -> Path:
    """Where a container path of a writable mount lives on this machine."""
    for mount in sorted(table, key=len, reverse=True):
        if container_path == mount or container_path.startswith(mount.rstrip("/") + "/"):
            return table[mount] / container_path[len(mount) :].lstrip("/")
    raise WorkbenchError(f"{container_path}: not on a volume, Argo could not place artifacts there")
