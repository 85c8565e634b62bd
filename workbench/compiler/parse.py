"""Parse: read a notebook with nbformat into cells with their roles, from the cell tags.

The tag language (workbench's spellings, with Kale's accepted so Kale notebooks convert):
  parameters | pipeline-parameters   literal assignments -> pipeline parameters
  imports                             imports for every step (imports anywhere count too)
  functions                           helper definitions -> steps/NAME/_helpers.py
  step:NAME | block:NAME              starts step NAME; following untagged cells join it
                                      (Kale: a later block:NAME cell joins step NAME again)
  after:NAME | prev:NAME              an ordering edge without data
  skip                                exploration, left out
  pipeline-metrics                    Kale's metrics cell: the names it reads become outputs
Untagged code cells before the first step are a preamble: their imports count, and any other
value they define is treated like a skipped cell's (a step needing it is an error).

A notebook using Kale's spellings (block:, prev:, pipeline-parameters, pipeline-metrics) gets
Kale's semantics: untagged cells after an imports, functions or pipeline-parameters cell join
that cell, and `block:NAME` cells need not be contiguous (they are all step NAME).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.compiler.diagnostics import Diagnostics

NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")
ROLE_TAGS = {
    "parameters": "parameters",
    "pipeline-parameters": "parameters",
    "imports": "imports",
    "functions": "functions",
    "skip": "skip",
    "pipeline-metrics": "metrics",
}
STEP_PREFIXES = ("step:", "block:")
AFTER_PREFIXES = ("after:", "prev:")
# Tags other tools put on cells that mean nothing to a pipeline: accepted silently.
QUIET_TAGS = {"hide-input", "hide-output", "remove-cell", "remove-input"}
# A cell papermill added to an executed copy: a run's overrides, not part of the source.
INJECTED_TAG = "injected-parameters"
# Kale's per-step Kubeflow settings: accepted with a warning, workbench does not use them.
KALE_SETTINGS = ("image:", "cache:", "annotation:", "label:", "limit:", "secret:", "report:")


@dataclass(frozen=True)
class Cell:
    """A code cell: its notebook index, nbformat id, source, tags, role and owning step."""

    index: int
    id: str
    source: str
    tags: tuple[str, ...]
    role: str  # parameters | imports | functions | step | skip | metrics | preamble
    step: str = ""
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotebookDoc:
    path: str  # as the user named it, project-root relative where possible
    cells: tuple[Cell, ...]
    steps: tuple[str, ...]  # in notebook order


def import_nbformat() -> Any:
    """nbformat, imported without jsonschema's optional IRI format checker.

    nbformat imports jsonschema, whose format module imports `rfc3987_syntax` when installed;
    that package builds a lark grammar at import (1-8 s here), for IRI formats the notebook
    schema never uses. Hiding it during this one import keeps `productionize` under a second.
    If jsonschema is already loaded, nothing changes.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # -> ImportError
        try:
            import nbformat
        finally:
            del sys.modules["rfc3987_syntax"]
    import nbformat

    return nbformat


def read_notebook(path: Path, shown: str, diags: Diagnostics) -> object | None:
    """The nbformat node, or None after recording why it cannot be read."""
    nbformat = import_nbformat()

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        diags.error(f"cannot read the notebook: {exc}", hint="check the path and permissions")
        return None
    try:
        node = nbformat.reads(text, as_version=4)
        nbformat.validate(node)
    except Exception as exc:  # nbformat raises several unrelated types for bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        diags.error(
            f"not a valid .ipynb notebook: {first}",
            hint="open and save it in JupyterLab, or check it is JSON in nbformat 4",
        )
        return None
    return node


def parse_notebook(path: Path, shown: str, diags: Diagnostics) -> NotebookDoc | None:
    """Cells with roles; tag problems go to `diags`. None when the file cannot be read."""
    node = read_notebook(path, shown, diags)
    if node is None:
        return None
    cells: list[Cell] = []
    steps: list[str] = []
    current = ""
    kale = _uses_kale_tags(node)
    inherited = ""  # Kale: the role an untagged cell inherits from the cell before it
    for index, raw in enumerate(node.cells):  # type: ignore[attr-defined]
        if raw.cell_type != "code":
            _warn_tagged_text_cell(raw, index, diags)
            continue
        cell_id = str(raw.get("id", "") or "")
        where = {"cell": index, "cell_id": cell_id}
        tags = tuple(str(t) for t in raw.get("metadata", {}).get("tags", []) or [])
        if INJECTED_TAG in tags:
            diags.note("papermill's injected-parameters cell left out", **where)
            continue
        role, step, after = "", "", []
        for tag in tags:
            if tag in ROLE_TAGS:
                if role and role != ROLE_TAGS[tag]:
                    diags.error(
                        f"tags {role!r} and {tag!r} on one cell contradict each other",
                        **where,
                        hint="keep one role tag per cell",
                    )
                role = ROLE_TAGS[tag]
            elif tag.startswith(STEP_PREFIXES):
                name = tag.split(":", 1)[1]
                if not _valid_name(name, tag, where, diags):
                    continue
                if step and step != name:
                    diags.error(f"two step tags on one cell: {step!r} and {name!r}", **where)
                step = name
            elif tag.startswith(AFTER_PREFIXES):
                name = tag.split(":", 1)[1]
                if _valid_name(name, tag, where, diags):
                    after.append(name)
            elif tag.startswith(KALE_SETTINGS):
                diags.warning(
                    f"Kale step setting {tag!r} ignored",
                    **where,
                    name=tag,
                    hint="set images, limits and secrets in the Argo manifests instead",
                )
            elif tag not in QUIET_TAGS and tag != INJECTED_TAG:
                diags.warning(
                    f"unknown tag {tag!r} ignored",
                    **where,
                    name=tag,
                    hint="known: parameters, imports, functions, step:NAME, after:NAME, skip "
                    "(and Kale's block:NAME, prev:NAME, pipeline-parameters, pipeline-metrics)",
                )
        if step:
            if role and role != "skip":
                diags.error(
                    f"cell tagged both step:{step} and {role!r}",
                    **where,
                    hint="put parameters, imports and functions in their own cells",
                )
            rejoin = kale and any(t == f"block:{step}" for t in tags)
            if step in steps and step != current and not rejoin:
                diags.error(
                    f"duplicate step {step!r}: an earlier cell already starts it",
                    **where,
                    name=step,
                    hint="give each step one name; untagged cells after a step cell join it",
                )
            elif step not in steps:
                steps.append(step)
            current = step
            role = "skip" if role == "skip" else "step"
            inherited = ""
        elif role in ("parameters", "imports", "functions", "metrics"):
            # a role cell does not end the current step: following untagged cells rejoin it
            # (in a Kale notebook, they join the role cell instead)
            inherited = role if kale and role != "metrics" else ""
        elif role == "skip":
            inherited = ""
        elif inherited:
            role = inherited
        elif current:
            role, step = "step", current
        else:
            role = "preamble"
        if after and role != "step":
            diags.error("after:/prev: tags belong on a step's cell", **where)
        source = raw.source if isinstance(raw.source, str) else "".join(raw.source)
        cells.append(Cell(index, cell_id, source, tags, role, step, tuple(after)))
    return NotebookDoc(path=shown, cells=tuple(cells), steps=tuple(steps))


def _uses_kale_tags(node: object) -> bool:
    for raw in node.cells:  # type: ignore[attr-defined]
        for tag in raw.get("metadata", {}).get("tags", []) or []:
            tag = str(tag)
            if tag.startswith(("block:", "prev:")) or tag in (
                "pipeline-parameters",
                "pipeline-metrics",
            ):
                return True
    return False


def _warn_tagged_text_cell(raw: Any, index: int, diags: Diagnostics) -> None:
    tags = [str(t) for t in raw.get("metadata", {}).get("tags", []) or []]
    meaningful = [
        t for t in tags if t.startswith((*STEP_PREFIXES, *AFTER_PREFIXES)) or t in ROLE_TAGS
    ]
    if meaningful:
        diags.warning(
            f"{raw.cell_type} cell tagged {', '.join(meaningful)}: only code cells make steps, "
            "the tag is ignored",
            cell=index,
            cell_id=str(raw.get("id", "") or ""),
            hint="move the tag to the code cell it belongs to",
        )


def _valid_name(name: str, tag: str, where: dict[str, object], diags: Diagnostics) -> bool:
    if NAME_RE.fullmatch(name):
        return True
    diags.error(
        f"tag {tag!r}: {name!r} is not a valid step name",
        **where,
        name=name,
        hint="step names match [a-z_][a-z0-9_]* (lower case, digits, underscores)",
    )
    return False
