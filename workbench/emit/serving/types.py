"""Typed shapes of the Kubernetes objects the serving emitter builds (the fields it uses).

hera has no Seldon, KServe or Istio types and the kubernetes client is not a dependency, so the
objects are TypedDicts: mypy checks every key the emitter writes, and the dicts dump to YAML as
they are (render.dump_dict). Keys are the API's camelCase spellings.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Meta(TypedDict, total=False):
    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]


class KeyRef(TypedDict):
    name: str
    key: str


class OptionalKeyRef(KeyRef):
    optional: bool


class EnvSource(TypedDict, total=False):
    configMapKeyRef: KeyRef
    secretKeyRef: OptionalKeyRef


class EnvVar(TypedDict, total=False):
    name: str
    value: str
    valueFrom: EnvSource


class HttpGet(TypedDict):
    path: str
    port: int


class Probe(TypedDict, total=False):
    httpGet: HttpGet
    initialDelaySeconds: int
    periodSeconds: int
    timeoutSeconds: int
    failureThreshold: int


class Port(TypedDict):
    name: str
    containerPort: int
    protocol: str


class SecurityContext(TypedDict, total=False):
    runAsNonRoot: bool
    runAsUser: int
    runAsGroup: int
    readOnlyRootFilesystem: bool
    allowPrivilegeEscalation: bool
    privileged: bool
    capabilities: dict[str, list[str]]
    seccompProfile: dict[str, str]


class PodSecurityContext(TypedDict, total=False):
    runAsNonRoot: bool
    runAsUser: int
    runAsGroup: int
    fsGroup: int
    seccompProfile: dict[str, str]


class Resources(TypedDict):
    requests: dict[str, str]
    limits: dict[str, str]


class VolumeMount(TypedDict, total=False):
    name: str
    mountPath: str
    readOnly: bool


class Container(TypedDict, total=False):
    name: str
    image: str
    imagePullPolicy: str
    command: list[str]
    args: list[str]
    env: list[EnvVar]
    ports: list[Port]
    readinessProbe: Probe
    livenessProbe: Probe
    startupProbe: Probe
    resources: Resources
    securityContext: SecurityContext
    volumeMounts: list[VolumeMount]


class Volume(TypedDict, total=False):
    name: str
    emptyDir: dict[str, str]
    persistentVolumeClaim: dict[str, Any]


class PodSpec(TypedDict, total=False):
    serviceAccountName: str
    automountServiceAccountToken: bool
    securityContext: PodSecurityContext
    terminationGracePeriodSeconds: int
    containers: list[Container]
    volumes: list[Volume]


class Obj(TypedDict, total=False):
    """A top-level object: apiVersion, kind, metadata, then its spec (kind-specific dict)."""

    apiVersion: str
    kind: str
    metadata: Meta
    spec: dict[str, Any]
    automountServiceAccountToken: bool
