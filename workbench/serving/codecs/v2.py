"""Open Inference (KServe V2) protocol: inference request/response and model metadata.

Inputs are either one tensor per signature column (shape [n] or [n, 1], named by the column) or
a single 2-D tensor of shape [n, columns] in signature order (any name). `data` may be flat
(row-major) or nested, or a numpy array decoded from binary tensor data (`v2_binary`). Outputs: `label` ([n]) and, for classifiers with probabilities, `proba`
([n, classes]); a request's `outputs` list picks among them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from workbench.serving.codecs.common import (
    Batch,
    Predictions,
    ProtocolError,
    check_integral,
    columns_to_batch,
    flat_values,
    rows_to_batch,
)
from workbench.serving.signature import Signature

NUMERIC_TYPES = frozenset(
    {"BOOL", "FP16", "FP32", "FP64"} | {f"{p}INT{b}" for p in ("", "U") for b in (8, 16, 32, 64)}
)
DATATYPES = NUMERIC_TYPES | {"BYTES"}
# value range of each integer datatype
_INT_RANGES = {
    f"{p}INT{b}": ((0, 2**b - 1) if p else (-(2 ** (b - 1)), 2 ** (b - 1) - 1))
    for p in ("", "U")
    for b in (8, 16, 32, 64)
}


def check_datatype(flat: list[Any], datatype: str, field: str) -> None:
    """Every value fits `datatype`: FP* numbers (null: missing), INT*/UINT* whole numbers in
    range, BOOL true/false, BYTES strings. Checked on the Python values, before any array."""
    kinds = set(map(type, flat))
    if datatype == "BYTES":
        ok = kinds <= {str}
    elif datatype == "BOOL":
        ok = kinds <= {bool}
    elif datatype.startswith("FP"):
        ok = kinds <= {int, float, type(None)}
    else:
        ok = kinds <= {int, float}
    if not ok:
        bad = sorted(k.__name__ for k in kinds)
        raise ProtocolError(f"{field}.data: {datatype} cannot hold {', '.join(bad)} values")
    if datatype in _INT_RANGES and flat:
        lo, hi = _INT_RANGES[datatype]
        if float in kinds and any(v != int(v) for v in flat if type(v) is float):
            raise ProtocolError(f"{field}.data: {datatype} holds whole numbers only")
        low, high = min(flat), max(flat)
        if low < lo or high > hi:
            raise ProtocolError(
                f"{field}.data: {datatype} holds {lo}..{hi}, got {low if low < lo else high}"
            )


def _shape(value: Any, field: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value
    ):
        raise ProtocolError(f"{field}: expected a list of non-negative integers")
    return value


def _input(doc: Any, i: int) -> tuple[str, list[int], str, list[Any] | np.ndarray]:
    field = f"inputs[{i}]"
    if not isinstance(doc, Mapping):
        raise ProtocolError(f"{field}: expected an object with name, shape, datatype and data")
    name, datatype, data = doc.get("name"), doc.get("datatype"), doc.get("data")
    if not isinstance(name, str):
        raise ProtocolError(f"{field}.name: expected a string")
    field = f"inputs[{i}] ('{name}')"
    shape = _shape(doc.get("shape"), f"{field}.shape")
    if datatype not in DATATYPES:
        raise ProtocolError(
            f"{field}.datatype: expected one of FP64, FP32, INT64, BOOL, BYTES, ..."
        )
    if isinstance(data, np.ndarray):  # a binary tensor, already checked against its shape
        return name, shape, datatype, data
    if not isinstance(data, list):
        params = doc.get("parameters")
        if data is None and isinstance(params, Mapping) and "binary_data_size" in params:
            raise ProtocolError(
                f"{field}: binary_data_size without an Inference-Header-Content-Length header"
            )
        raise ProtocolError(f"{field}.data: expected a list")
    flat = flat_values(data, shape)
    if math.prod(shape) != len(flat):
        raise ProtocolError(
            f"{field}.data: shape {shape} needs {math.prod(shape)} values, got {len(flat)}"
        )
    check_datatype(flat, datatype, field)
    return name, shape, datatype, flat


def decode(body: Any, sig: Signature) -> tuple[Batch, list[str] | None]:
    """An inference request -> (Batch, requested output names or None for all)."""
    if not isinstance(body, Mapping):
        raise ProtocolError("body: expected an inference request object with 'inputs'")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ProtocolError("inputs: expected a non-empty list of tensors")
    parsed = [_input(doc, i) for i, doc in enumerate(inputs)]
    wanted = _outputs(body.get("outputs"))
    name, shape, datatype, flat = parsed[0]
    if len(parsed) == 1 and len(shape) == 2 and (shape[1] != 1 or name not in sig.names):
        field = f"inputs[0] ('{name}')"
        if shape[1] != sig.width:
            raise ProtocolError(f"{field}.shape: expected [rows, {sig.width}], got {shape}")
        if shape[0] == 0:
            raise ProtocolError(f"{field}.shape: no rows")
        if sig.numeric and datatype == "BYTES":
            raise ProtocolError(f"{field}.datatype: BYTES for numeric columns; send FP64")
        width = shape[1]
        if isinstance(flat, np.ndarray):
            if sig.numeric:  # binary numbers: one cast, no Python values at all
                matrix = flat.reshape(shape[0], width).astype(np.float64)
                check_integral(matrix, f"{field}.data", sig)
                return Batch(matrix), wanted
            flat = flat.tolist()
        rows = [flat[i : i + width] for i in range(0, len(flat), width)]
        return rows_to_batch(rows, f"{field}.data", sig), wanted
    columns: dict[str, list[Any]] = {}
    for i, (name, shape, datatype, flat) in enumerate(parsed):
        field = f"inputs[{i}] ('{name}')"
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
            raise ProtocolError(f"{field}.shape: a column tensor has shape [rows] or [rows, 1]")
        col = next((c for c in sig.inputs if c.name == name), None)
        if col is None:
            raise ProtocolError(
                f"{field}.name: unknown column; expected one of {', '.join(sig.names[:5])}, ..."
            )
        if (datatype == "BYTES") != (col.v2_datatype == "BYTES"):
            raise ProtocolError(
                f"{field}.datatype: {datatype} does not fit column type {col.type} ({col.v2_datatype})"
            )
        if name in columns:
            raise ProtocolError(f"{field}.name: given twice")
        columns[name] = flat.tolist() if isinstance(flat, np.ndarray) else flat
    return columns_to_batch(columns, "inputs", sig), wanted


def _outputs(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(o, Mapping) and isinstance(o.get("name"), str) for o in value
    ):
        raise ProtocolError("outputs: expected a list of {name}")
    for o in value:
        params = o.get("parameters")
        if params is not None and not isinstance(params, Mapping):
            raise ProtocolError(f"outputs ('{o['name']}').parameters: expected an object")
        if params and params.get("classification"):
            raise ProtocolError(
                f"outputs ('{o['name']}').parameters.classification: the classification "
                "extension is not supported; ask for 'proba'"
            )
    names = [o["name"] for o in value]
    unknown = [n for n in names if n not in ("label", "proba")]
    if unknown:
        raise ProtocolError(f"outputs: unknown output(s) {', '.join(unknown)}; known: label, proba")
    return names


def _datatype(arr: np.ndarray) -> str:
    return {"b": "BOOL", "i": "INT64", "u": "UINT64", "f": "FP64"}.get(arr.dtype.kind, "BYTES")


def encode(
    pred: Predictions, wanted: list[str] | None, *, model: str, version: str, request_id: str
) -> dict[str, Any]:
    outputs: list[dict[str, Any]] = []
    n = len(pred.labels) if pred.labels.size else (len(pred.proba) if pred.proba is not None else 0)
    if wanted is None or "label" in wanted:
        labels = pred.labels
        data = labels if labels.dtype.kind in "biuf" else [str(v) for v in labels.tolist()]
        outputs.append({"name": "label", "datatype": _datatype(labels), "shape": [n], "data": data})
    if pred.proba is not None and (wanted is None or "proba" in wanted):
        outputs.append(
            {
                "name": "proba",
                "datatype": "FP64",
                "shape": [n, pred.proba.shape[1]],
                "data": pred.proba.reshape(-1),
                "parameters": {"classes": [str(c) for c in pred.classes]},
            }
        )
    if wanted and "proba" in wanted and pred.proba is None:
        raise ProtocolError("outputs: this model has no probabilities ('proba')")
    return {"model_name": model, "model_version": version, "id": request_id, "outputs": outputs}


def model_metadata(
    sig: Signature, *, name: str, version: str, classes: tuple[Any, ...]
) -> dict[str, Any]:
    """GET /v2/models/NAME: inputs from the signature, outputs from the model's classes."""
    label_type = _datatype(np.asarray(classes)) if classes else "FP64"
    outputs: list[dict[str, Any]] = [{"name": "label", "datatype": label_type, "shape": [-1]}]
    if classes:
        outputs.append({"name": "proba", "datatype": "FP64", "shape": [-1, len(classes)]})
    return {
        "name": name,
        "versions": [version] if version else [],
        "platform": "sklearn",
        "inputs": [{"name": c.name, "datatype": c.v2_datatype, "shape": [-1]} for c in sig.inputs],
        "outputs": outputs,
    }


def error(message: str) -> dict[str, Any]:
    return {"error": message}
