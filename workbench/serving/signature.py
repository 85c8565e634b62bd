"""The model's input columns (name and type) and outputs, whatever recorded them.

Sources, in the order the loader tries them: the "signature" key of the model-store record
(model.json, written through `write_model_file(..., extra={"signature": ...})`), the MLflow
model's MLmodel file, and last the fitted estimator's own `feature_names_in_`/`n_features_in_`.
The MLflow form is accepted as MLflow writes it: {"inputs": "<json text>", "outputs": "..."}, or
with the lists already parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# MLflow column types -> Open Inference (V2) datatypes
V2_DATATYPES = {
    "double": "FP64",
    "float": "FP32",
    "long": "INT64",
    "integer": "INT32",
    "boolean": "BOOL",
    "string": "BYTES",
}
NUMERIC = frozenset({"double", "float", "long", "integer", "boolean"})
INTEGRAL = frozenset({"long", "integer"})


@dataclass(frozen=True)
class Column:
    """One input column: its name and MLflow type ("double", "long", "string", ...)."""

    name: str
    type: str = "double"
    required: bool = True  # MLflow's `required: false`: the client may leave it out (-> null)

    @property
    def v2_datatype(self) -> str:
        return V2_DATATYPES.get(self.type, "BYTES")


@dataclass(frozen=True)
class Signature:
    """Input columns in the order the model was fitted on; `named` is False when the model only
    knows how many columns it takes (then names are positional: "0", "1", ...)."""

    inputs: tuple[Column, ...]
    named: bool = True

    # Derived once (read on every request); cached_property writes past the frozen __setattr__.
    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.inputs)

    @cached_property
    def width(self) -> int:
        return len(self.inputs)

    @cached_property
    def numeric(self) -> bool:
        return all(c.type in NUMERIC for c in self.inputs)

    @cached_property
    def required(self) -> frozenset[str]:
        """Names of the columns a request must give (the rest are filled with null)."""
        return frozenset(c.name for c in self.inputs if c.required)

    @cached_property
    def integral(self) -> tuple[int, ...]:
        """Indices of the integer columns, whose values must be whole numbers."""
        return tuple(j for j, c in enumerate(self.inputs) if c.type in INTEGRAL)

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": [
                {"name": c.name, "type": c.type, "required": c.required} for c in self.inputs
            ],
            "named": self.named,
        }


def _columns(spec: Any) -> list[dict[str, Any]] | None:
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            return None
    if isinstance(spec, list) and all(isinstance(c, dict) for c in spec):
        return spec
    return None


def signature_from_dict(doc: Any) -> Signature | None:
    """A Signature from MLflow's signature dict or our own `to_dict` form; None if unusable.

    Tensor-based MLflow signatures (no column names) are not column signatures: None.
    """
    if not isinstance(doc, dict):
        return None
    cols = _columns(doc.get("inputs"))
    if not cols or not all(isinstance(c.get("name"), str) for c in cols):
        return None
    inputs = tuple(
        Column(str(c["name"]), str(c.get("type", "double")), c.get("required", True) is not False)
        for c in cols
    )
    return Signature(inputs=inputs, named=bool(doc.get("named", True)))


def signature_from_mlmodel(text: str) -> Signature | None:
    """The signature in an MLmodel file (YAML), without importing mlflow."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return signature_from_dict(doc.get("signature")) if isinstance(doc, dict) else None


def signature_from_model(model: Any) -> Signature | None:
    """What a fitted scikit-learn estimator knows about its inputs (all taken as doubles)."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return Signature(tuple(Column(str(n)) for n in names))
    width = getattr(model, "n_features_in_", None)
    if isinstance(width, int):
        return Signature(tuple(Column(str(i)) for i in range(width)), named=False)
    return None
