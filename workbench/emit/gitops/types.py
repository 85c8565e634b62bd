"""Typed shapes of the Argo Events, Argo CD and Crossplane objects the platform emitter builds.

hera covers Argo Workflows only, so the other kinds are TypedDicts (keys are the APIs'
camelCase spellings): mypy checks every key written, render.dump_dict writes them as they are.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Meta(TypedDict, total=False):
    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]
    finalizers: list[str]


class SecretRef(TypedDict):
    """A key of a Secret: the value itself never appears in a manifest."""

    name: str
    key: str


class NamespacedSecretRef(SecretRef):
    namespace: str


class DataFilter(TypedDict):
    path: str
    type: str
    value: list[str]


class ParamSource(TypedDict, total=False):
    dependencyName: str
    dataKey: str
    value: str


class TriggerParam(TypedDict):
    src: ParamSource
    dest: str


class Obj(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    spec: dict[str, Any]
    rules: list[dict[str, Any]]
    roleRef: dict[str, str]
    subjects: list[dict[str, str]]
    automountServiceAccountToken: bool
