"""Workflow parameters for a submission, checked and written by the parameter model.

The one place submit turns `-p NAME=VALUE` into argument texts, through
`workbench.spec.params.normalise_texts` (the runner's cache-key text: `-p C=1` for a float is
sent as `1.0`, so the memoization key matches `workbench pipeline run`). Names and types come
from the WorkflowTemplate that will run (the built overlay's `arguments.parameters`; each
`description` is the spec's type), so the notebook and sweep templates are checked too;
a workflow setting without a type (`sweep-metric`, `sweep-parameter-sets`) is passed as given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.spec.model import PipelineSpec
from workbench.spec.params import PARAM_TYPES, normalise_texts


def declared(template: Mapping[str, Any]) -> dict[str, str | None]:
    """name -> declared type (None: a workflow setting with no type, passed as given)."""
    params = template.get("spec", {}).get("arguments", {}).get("parameters", []) or []
    out: dict[str, str | None] = {}
    for p in params:
        kind = str(p.get("description") or "")
        out[str(p["name"])] = kind if kind in PARAM_TYPES else None
    return out


def normalise(
    types: Mapping[str, str | None], items: Sequence[str], *, owner: str
) -> dict[str, str]:
    """`NAME=VALUE` texts -> {name: canonical text}; unknown names refused with the known ones."""
    given: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise WorkbenchError(f"-p {item!r}: expected NAME=VALUE")
        if key in given:
            raise WorkbenchError(f"-p {key} given twice")
        given[key] = value
    unknown = sorted(set(given) - set(types))
    if unknown:
        raise WorkbenchError(
            f"{owner}: unknown parameter(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(types)) or 'none'})"
        )
    typed = {k: t for k, t in types.items() if t is not None}
    try:
        out = normalise_texts(typed, {k: v for k, v in given.items() if k in typed}, owner=owner)
    except ValueError as exc:
        raise WorkbenchError(str(exc)) from None
    return {**{k: v for k, v in given.items() if k not in typed}, **out}


def template_parameters(template: Mapping[str, Any], items: Sequence[str]) -> dict[str, str]:
    name = template.get("metadata", {}).get("name", "?")
    return normalise(declared(template), items, owner=f"WorkflowTemplate {name}")


def submit_parameters(spec: PipelineSpec, items: Sequence[str]) -> dict[str, str]:
    """The same check against the pipeline spec itself (no built overlay at hand)."""
    return normalise(
        {p.name: p.type for p in spec.parameters}, items, owner=f"pipeline {spec.name}"
    )
