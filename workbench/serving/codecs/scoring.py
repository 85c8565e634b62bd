"""MLflow scoring server protocol (`POST /invocations`), as `mlflow models serve` speaks it.

Exactly one of `dataframe_split` ({columns, data}), `dataframe_records` ([{column: value}]),
`instances` or `inputs` (rows, records, or an object of columns). The answer is
{"predictions": [...]}: labels by default, as MLflow's sklearn flavour returns; with
`"params": {"predict_method": "predict_proba"}` the class probabilities instead (our extension:
MLflow fixes the method when the model is logged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.serving.codecs.common import (
    Batch,
    Predictions,
    ProtocolError,
    columns_to_batch,
    named_rows_to_batch,
    records_to_batch,
    rows_to_batch,
)
from workbench.serving.signature import Signature

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
METHODS = ("predict", "predict_proba")


def decode(body: Any, sig: Signature) -> tuple[Batch, str]:
    """An MLflow scoring body -> (Batch, predict method)."""
    if not isinstance(body, Mapping):
        raise ProtocolError(f"body: expected a JSON object with one of {', '.join(FORMATS)}")
    given = [f for f in FORMATS if f in body]
    if len(given) != 1:
        raise ProtocolError(
            f"body: expected exactly one of {', '.join(FORMATS)}, got {', '.join(given) or 'none'}"
        )
    fmt = given[0]
    method = "predict"
    params = body.get("params")
    if params is not None:
        if not isinstance(params, Mapping):
            raise ProtocolError("params: expected an object")
        method = params.get("predict_method", "predict")
        if method not in METHODS:
            raise ProtocolError(f"params.predict_method: expected one of {', '.join(METHODS)}")
    value = body[fmt]
    if fmt == "dataframe_split":
        if not isinstance(value, Mapping) or "data" not in value:
            raise ProtocolError("dataframe_split: expected an object with 'columns' and 'data'")
        return named_rows_to_batch(
            value["data"],
            value.get("columns"),
            "dataframe_split.data",
            "dataframe_split.columns",
            sig,
        ), method
    if fmt == "dataframe_records":
        return records_to_batch(value, fmt, sig), method
    if isinstance(value, Mapping):
        if value and all(isinstance(v, list) for v in value.values()):
            return columns_to_batch(value, fmt, sig), method
        return records_to_batch([value], fmt, sig), method
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return records_to_batch(value, fmt, sig), method
    return rows_to_batch(value, fmt, sig), method


def encode(pred: Predictions, method: str) -> dict[str, Any]:
    if method == "predict_proba":
        if pred.proba is None:
            raise ProtocolError("params.predict_method: this model has no predict_proba")
        return {"predictions": pred.proba}
    return {"predictions": pred.labels}


def error(status: int, message: str) -> dict[str, Any]:
    """MLflow's error body."""
    code = {400: "BAD_REQUEST", 404: "RESOURCE_DOES_NOT_EXIST", 413: "BAD_REQUEST"}
    return {"error_code": code.get(status, "BAD_REQUEST"), "message": message}
