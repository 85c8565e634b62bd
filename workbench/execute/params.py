"""Notebook parameters for `workbench run`: defaults from the parameters cells, typed overrides.

The parameters cells are read with the compiler's parser (`workbench.spec.paramcell`): cells
tagged `parameters` (papermill) or `pipeline-parameters` (Kale), `name = literal` statements typed
by the parameter model (`workbench.spec.params`). So `workbench run -p C 1` gives the float 1.0
when the notebook says `C = 1.0`, `-p layers "[64, 32]"` a list, and a Kale notebook takes
overrides as papermill would if its cell were tagged `parameters` (see `papermill_input`).
A default that is not a literal (`path = os.path.join(...)`) still runs: papermill overrides it,
and its `-p` text is parsed papermill-style (`parse_value`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.execute.errors import NotebookInputError
from workbench.spec.paramcell import is_parameters_cell, read_assignments
from workbench.spec.params import parse_param

_KEYWORDS: dict[str, Any] = {"True": True, "False": False, "None": None}
PAPERMILL_TAG = "parameters"


def parse_value(text: str) -> Any:
    """Like `papermill -p`: True/False/None, then int, then float, else the string itself."""
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


@dataclass(frozen=True)
class Overrides:
    """What `workbench run` was given: `-p` texts (typed later, by the notebook's defaults) and
    values kept as they are (`-r` strings, or Python values from the API)."""

    texts: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def parse_overrides(
    values: Iterable[tuple[str, str]] = (), raw: Iterable[tuple[str, str]] = ()
) -> Overrides:
    """`-p` pairs kept as texts, `-r` pairs as strings; later pairs win."""
    texts: dict[str, str] = {}
    kept: dict[str, Any] = {}
    for name, text in values:
        kept.pop(name, None)
        texts[name] = text
    for name, text in raw:
        texts.pop(name, None)
        kept[name] = text
    return Overrides(texts, kept)


def default_value(source: str) -> Any:
    """A default's Python value when it is a literal (`1.0`, `"x"`); else its source text."""
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return source


@dataclass(frozen=True)
class NotebookParameters:
    """The parameters cells of a notebook: defaults, their types, and where papermill injects."""

    defaults: dict[str, Any]
    types: dict[str, str | None]  # None: not a literal of the model, parsed papermill-style
    cells: tuple[int, ...]  # indices of the parameters cells, in notebook order
    tagged: int | None  # the first cell tagged `parameters` (papermill injects after it)

    @property
    def needs_retag(self) -> bool:
        """papermill must inject after the last parameters cell, which it finds by the tag
        `parameters` on the first tagged cell: true when those differ (Kale's tag, several
        cells)."""
        return bool(self.cells) and self.tagged != self.cells[-1]


def notebook_parameters(nb: Any, path: Path | str) -> NotebookParameters:
    """Read the parameters cells of an nbformat node with the compiler's parser."""
    defaults: dict[str, Any] = {}
    types: dict[str, str | None] = {}
    cells: list[int] = []
    tagged: int | None = None
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", []) or []
        if cell.cell_type != "code" or not is_parameters_cell(tags):
            continue
        if tagged is None and PAPERMILL_TAG in tags:
            tagged = index
        cells.append(index)
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            raise NotebookInputError(
                f"{path}: parameters cell {index} is not valid Python: {exc.msg} (line {exc.lineno})"
            ) from None
        for found in read_assignments(tree, source):
            if not found.name:
                continue
            types[found.name] = found.type
            defaults[found.name] = found.value
    return NotebookParameters(defaults, types, tuple(cells), tagged)


def typed_overrides(
    notebook: str, params: NotebookParameters, overrides: Overrides
) -> dict[str, Any]:
    """Every override as a value: `-p` texts parsed by the default's type (papermill-style when
    the default is no literal of the model); unknown names are an error listing the known."""
    merged: dict[str, Any] = dict(overrides.values)
    for name, text in overrides.texts.items():
        kind = params.types.get(name)
        if name not in params.defaults or kind is None:
            merged[name] = parse_value(text)
            continue
        try:
            merged[name] = parse_param(name, text, kind)
        except ValueError as exc:
            raise NotebookInputError(f"{notebook}: {exc}") from None
    merge_parameters(notebook, params.defaults, merged)  # unknown names
    return merged


def merge_parameters(
    notebook: Path | str, defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Defaults updated by overrides; an override the notebook does not declare is an error.

    papermill itself only logs a warning for an unknown name and injects it anyway, which turns
    a typo (`-p c 0.5` for `C`) into a silently ignored setting.
    """
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or (
            "none: the notebook has no cell tagged 'parameters' or 'pipeline-parameters'"
        )
        raise NotebookInputError(
            f"{notebook}: unknown parameter(s) {', '.join(unknown)} (known: {known})"
        )
    return {**defaults, **overrides}


def papermill_input(nb: Any, params: NotebookParameters) -> Any | None:
    """A copy of the notebook whose last parameters cell carries papermill's `parameters` tag
    (and no other cell does), or None when the notebook is right as it is."""
    if not params.needs_retag:
        return None
    import copy

    node = copy.deepcopy(nb)
    for index, cell in enumerate(node.cells):
        tags = [t for t in cell.get("metadata", {}).get("tags", []) or [] if t != PAPERMILL_TAG]
        if index == params.cells[-1]:
            tags.append(PAPERMILL_TAG)
        if "tags" in cell.get("metadata", {}) or index == params.cells[-1]:
            cell.setdefault("metadata", {})["tags"] = tags
    return node


def param_text(value: Any) -> str:
    """How a parameter value is logged to MLflow: the same `str()` MLflow applies itself, so the
    notebook logging the same value again (e.g. `log_params({"C": C})`) does not conflict."""
    return str(value)
