"""What the endpoint must answer: the registered model's input example and the model's own
predictions on it, computed here from the verified model file (sha256 checked before
unpickling, as `workbench serve` does)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import WorkbenchError


@dataclass(frozen=True)
class Expected:
    name: str
    version: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # JSON-ready values, one tuple per example row
    labels: tuple[Any, ...]  # the model's own predict() on those rows


def model_uri(model: str) -> str:
    """NAME -> models:/NAME@champion; full models:/ URIs pass through."""
    return model if model.startswith("models:/") else f"models:/{model}@champion"


def _json_value(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_expected(model: str) -> Expected:
    from workbench.serving.loader import load_source, resolve_source
    from workbench.serving.registry import input_example

    uri = model_uri(model)
    source = resolve_source(uri)  # raises WorkbenchError naming the URI
    pinned = f"models:/{source.name}/{source.version}"
    try:
        example: Any = input_example(pinned)
    except Exception as exc:
        raise WorkbenchError(f"{pinned}: cannot read the model's input example ({exc})") from exc
    if example is None or not hasattr(example, "columns"):
        raise WorkbenchError(
            f"{pinned}: no tabular input example logged (log_model(..., input_example=frame))"
        )
    predicted = load_source(source).predict(example)
    return Expected(
        name=source.name,
        version=str(source.version),
        columns=tuple(str(c) for c in example.columns),
        rows=tuple(tuple(_json_value(v) for v in row) for row in example.itertuples(index=False)),
        labels=tuple(_json_value(v) for v in predicted),
    )
