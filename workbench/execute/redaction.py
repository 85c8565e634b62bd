"""The executed notebook as it may be kept: credentials among the parameters masked.

papermill writes the parameters it injects, verbatim, into a cell tagged `injected-parameters`,
and a cell may print them. The kernel writes its notebook to a private temporary folder; only
this masked copy reaches `.workbench/runs/` and the MLflow artifact store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.core.fs import atomic_write_text
from workbench.core.redact import MASK, is_secret_name, param_secrets, scrub

_ASSIGNMENT = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>.*)$")


def _mask_injected(source: str) -> str:
    """`password = "..."` lines of papermill's injected cell, masked whatever their length."""
    lines = []
    for line in source.splitlines(keepends=True):
        match = _ASSIGNMENT.match(line.rstrip("\n"))
        if match and is_secret_name(match["name"]):
            line = f'{match["name"]} = "{MASK}"' + ("\n" if line.endswith("\n") else "")
        lines.append(line)
    return "".join(lines)


def redacted_notebook_text(text: str, secrets: Iterable[str]) -> str:
    """A notebook's JSON text with the injected parameters and every known secret masked."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = _mask_injected(cell.source)
    return scrub(nbformat.writes(nb), secrets)


def secrets_of(params: Mapping[str, Any]) -> set[str]:
    """The credentials among a run's effective parameters (see workbench.core.redact)."""
    return param_secrets({name: str(value) for name, value in params.items()})


def store_notebook(executed: Path, target: Path, secrets: Iterable[str]) -> None:
    """Write the masked copy of `executed` to `target` atomically (temp file + rename)."""
    text = redacted_notebook_text(executed.read_text(encoding="utf-8"), secrets)
    atomic_write_text(target, text)
