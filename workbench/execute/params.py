"""Notebook parameters: papermill-style value parsing, defaults from the `parameters` cell, merging.

Pure functions apart from `notebook_defaults`, which asks papermill's inspector (the same parser
papermill uses when it injects values) so our idea of "the notebook's parameters" never differs
from what papermill will actually override.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.execute.errors import NotebookInputError

_KEYWORDS: dict[str, Any] = {"True": True, "False": False, "None": None}


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


def parse_overrides(
    values: Iterable[tuple[str, str]] = (), raw: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    """`-p` pairs parsed with `parse_value`, `-r` pairs kept as strings; later pairs win."""
    merged: dict[str, Any] = {name: parse_value(text) for name, text in values}
    merged.update(dict(raw))
    return merged


def default_value(source: str) -> Any:
    """A default's Python value when it is a literal (`1.0`, `"x"`); else its source text."""
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return source


def notebook_defaults(path: Path) -> dict[str, Any]:
    """Name -> default value of every assignment in the notebook's `parameters` cell."""
    import papermill

    inspected = papermill.inspect_notebook(str(path))
    return {name: default_value(info["default"]) for name, info in inspected.items()}


def merge_parameters(
    notebook: Path | str, defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Defaults updated by overrides; an override the notebook does not declare is an error.

    papermill itself only logs a warning for an unknown name and injects it anyway, which turns
    a typo (`-p c 0.5` for `C`) into a silently ignored setting.
    """
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none: the notebook has no cell tagged 'parameters'"
        raise NotebookInputError(
            f"{notebook}: unknown parameter(s) {', '.join(unknown)} (known: {known})"
        )
    return {**defaults, **overrides}


def param_text(value: Any) -> str:
    """How a parameter value is logged to MLflow: the same `str()` MLflow applies itself, so the
    notebook logging the same value again (e.g. `log_params({"C": C})`) does not conflict."""
    return str(value)
