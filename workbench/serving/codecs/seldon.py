"""Seldon Core v1 protocol: SeldonMessage in, SeldonMessage out, Seldon's error status.

Accepted: `data.ndarray` (rows), `data.tensor` ({shape: [n, k], values: flat}), `data.tftensor`
(a TensorProto's JSON, decoded by `seldon_forms`; answered as a tensor), each with
`data.names` (any column order), and `jsonData` (records, an object of columns, one record, or
{names, ndarray}). `meta` passes through; the response's meta adds `puid` (the request id) and
tags naming the model. The response keeps the request's form; its columns are `label` and, for
classifiers with probabilities, `proba_<class>` for each class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.serving.codecs.common import (
    Batch,
    Predictions,
    ProtocolError,
    check_echoable,
    columns_to_batch,
    flat_values,
    named_rows_to_batch,
    records_to_batch,
)
from workbench.serving.codecs.seldon_forms import tftensor_rows
from workbench.serving.signature import Signature

REASONS = {400: "MICROSERVICE_BAD_DATA", 404: "NOT_FOUND", 413: "PAYLOAD_TOO_LARGE"}


def decode(body: Any, sig: Signature) -> tuple[Batch, str]:
    """A SeldonMessage -> (Batch, form) where form is "ndarray", "tensor" or "jsonData"."""
    if not isinstance(body, Mapping):
        raise ProtocolError("body: expected a SeldonMessage object with 'data' or 'jsonData'")
    if "data" in body:
        data = body["data"]
        if not isinstance(data, Mapping):
            raise ProtocolError("data: expected an object with 'ndarray' or 'tensor'")
        names = data.get("names")
        if names == []:
            names = None
        if "ndarray" in data:
            return named_rows_to_batch(
                data["ndarray"], names, "data.ndarray", "data.names", sig
            ), "ndarray"
        if "tensor" in data:
            return _tensor(data["tensor"], names, sig), "tensor"
        if "tftensor" in data:
            rows = tftensor_rows(data["tftensor"])
            return named_rows_to_batch(rows, names, "data.tftensor", "data.names", sig), "tensor"
        raise ProtocolError("data: expected 'ndarray', 'tensor' or 'tftensor'")
    if "jsonData" in body:
        return _json_data(body["jsonData"], sig), "jsonData"
    for other in ("strData", "binData"):
        if other in body:
            raise ProtocolError(
                f"{other}: this model takes a table of {sig.width} columns, not "
                f"{'text' if other == 'strData' else 'bytes'}; send data.ndarray, data.tensor "
                "or jsonData"
            )
    raise ProtocolError("body: expected 'data' or 'jsonData'")


def _tensor(tensor: Any, names: Any, sig: Signature) -> Batch:
    if not isinstance(tensor, Mapping):
        raise ProtocolError("data.tensor: expected an object with 'shape' and 'values'")
    shape, values = tensor.get("shape"), tensor.get("values")
    if (
        not isinstance(shape, list)
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        or len(shape) not in (1, 2)
    ):
        raise ProtocolError("data.tensor.shape: expected [rows, columns]")
    if not isinstance(values, list):
        raise ProtocolError("data.tensor.values: expected a list of numbers")
    flat = flat_values(values)
    rows = shape[0] if len(shape) == 2 else 1
    width = shape[1] if len(shape) == 2 else shape[0]
    if rows * width != len(flat):
        raise ProtocolError(
            f"data.tensor.values: shape {shape} needs {rows * width} values, got {len(flat)}"
        )
    if rows == 0 or width == 0:
        raise ProtocolError("data.tensor.shape: no rows or no columns")
    matrix = [flat[i : i + width] for i in range(0, rows * width, width)]
    return named_rows_to_batch(matrix, names, "data.tensor.values", "data.names", sig)


def _json_data(doc: Any, sig: Signature) -> Batch:
    if isinstance(doc, list):
        if doc and isinstance(doc[0], Mapping):
            return records_to_batch(doc, "jsonData", sig)
        return named_rows_to_batch(doc, None, "jsonData", "jsonData", sig)
    if isinstance(doc, Mapping):
        if "ndarray" in doc:
            return named_rows_to_batch(
                doc["ndarray"], doc.get("names"), "jsonData.ndarray", "jsonData.names", sig
            )
        if doc and all(isinstance(v, list) for v in doc.values()):
            return columns_to_batch(doc, "jsonData", sig)
        return records_to_batch([doc], "jsonData", sig)
    raise ProtocolError("jsonData: expected records, an object of columns, or {names, ndarray}")


def output_columns(pred: Predictions) -> tuple[list[str], list[list[Any]]]:
    """Names and rows of the response: label, then one probability per class."""
    labels = pred.labels.tolist()
    if pred.proba is None:
        return ["label"], [[y] for y in labels]
    return ["label", *pred.proba_names], [
        [y, *p] for y, p in zip(labels, pred.proba.tolist(), strict=True)
    ]


def encode(pred: Predictions, form: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Predictions -> SeldonMessage in the request's form."""
    names, rows = output_columns(pred)
    if form == "tensor":
        numeric = pred.labels.dtype.kind in "biuf"
        if not numeric:  # a tensor holds numbers only: probabilities alone
            names, rows = names[1:], [r[1:] for r in rows]
        width = len(names)
        values = [v for r in rows for v in r]
        return {
            "data": {"names": names, "tensor": {"shape": [len(rows), width], "values": values}},
            "meta": meta,
        }
    if form == "jsonData":
        return {"jsonData": {"names": names, "ndarray": rows}, "meta": meta}
    return {"data": {"names": names, "ndarray": rows}, "meta": meta}


def response_meta(
    body: Any, request_id: str, name: str, version: str, alias: str
) -> dict[str, Any]:
    """The request's meta passed through, with puid and tags naming the served model."""
    given = body.get("meta") if isinstance(body, Mapping) else None
    if given is not None:
        check_echoable(given, "meta")
    meta: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
    tags = meta.get("tags")
    meta["tags"] = {
        **(tags if isinstance(tags, Mapping) else {}),
        "model_name": name,
        "model_version": version,
        "model_alias": alias,
    }
    # Seldon keeps a caller's puid (it ties a prediction to its later feedback); else the id
    puid = meta.get("puid")
    meta["puid"] = puid if isinstance(puid, str) and puid else request_id
    meta["requestPath"] = {name: version}
    return meta


def error(status: int, message: str) -> dict[str, Any]:
    """Seldon's failure body."""
    return {
        "status": {
            "code": status,
            "info": message,
            "reason": REASONS.get(status, "MICROSERVICE_ERROR"),
            "status": "FAILURE",
        }
    }
