"""Workflow parameters for a submission: checked and written the way the local runner writes them.

The one place submit turns `-p NAME=VALUE` into argument texts. Names are the WorkflowTemplate's
own `arguments.parameters` (the built overlay's); each declared type (the parameter's
`description`, written from the pipeline spec) parses the text with the step runtime's
`parse_param`, and `hashing.format_param` writes it back: the runner's cache-key text, so
`-p C=1` reaches the cluster as `1.0`, and the memoization key matches `workbench pipeline run`.
The notebook templates hand texts to `workbench run -p`, which reads `True`/`None` for bool and
none parameters (their text there is Python's, as in the template defaults).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.hashing import format_param
from workbench.runtime.step import parse_param

TYPES = ("str", "int", "float", "bool", "list", "dict", "none")


def declared(template: Mapping[str, Any]) -> dict[str, str | None]:
    """name -> declared type (None: a workflow setting with no type, passed as given)."""
    params = template.get("spec", {}).get("arguments", {}).get("parameters", []) or []
    out: dict[str, str | None] = {}
    for p in params:
        kind = str(p.get("description") or "")
        out[str(p["name"])] = kind if kind in TYPES else None
    return out


def normalise(
    template: Mapping[str, Any], given: Sequence[str], *, notebook: bool = False
) -> dict[str, str]:
    """`NAME=VALUE` texts -> {name: canonical text}; unknown names refused with the known ones."""
    types = declared(template)
    name_of = template.get("metadata", {}).get("name", "?")
    out: dict[str, str] = {}
    for item in given:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise WorkbenchError(f"-p {item!r}: expected NAME=VALUE")
        if name not in types:
            raise WorkbenchError(
                f"-p {name}: WorkflowTemplate {name_of} has no parameter {name!r} "
                f"(known: {', '.join(sorted(types))})"
            )
        if name in out:
            raise WorkbenchError(f"-p {name} given twice")
        kind = types[name]
        if kind is None:
            out[name] = text
            continue
        try:
            value = parse_param(name, text, kind)
        except ValueError as exc:
            raise WorkbenchError(f"WorkflowTemplate {name_of}: {exc}") from exc
        out[name] = repr(value) if notebook and kind in ("bool", "none") else format_param(value)
    return out
