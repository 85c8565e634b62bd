"""The other shapes a Seldon v1 message arrives in: a form field, and a TensorFlow tensor.

Seldon's Python client (`SeldonClient(microservice_endpoint=...).microservice(...)`) and its
microservice wrapper send the SeldonMessage form-encoded, as the `json` field of an
`application/x-www-form-urlencoded` body; `message_bytes` takes the JSON out of either form.
`tftensor_rows` decodes the JSON form of a TensorProto (dtype, tensorShape, the typed value
list or base64 `tensorContent`) with numpy alone: no TensorFlow in the serving image.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from workbench.serving.codecs.common import ProtocolError

FORM = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 16  # the client sends one (`json`); a form of thousands is not a message

# TensorProto dtypes -> numpy dtype and the JSON field holding typed values
_TF_DTYPES: dict[str, tuple[str, str]] = {
    "DT_FLOAT": ("<f4", "floatVal"),
    "DT_DOUBLE": ("<f8", "doubleVal"),
    "DT_INT32": ("<i4", "intVal"),
    "DT_INT16": ("<i2", "intVal"),
    "DT_INT8": ("<i1", "intVal"),
    "DT_UINT8": ("<u1", "intVal"),
    "DT_INT64": ("<i8", "int64Val"),
    "DT_BOOL": ("?", "boolVal"),
}


def message_bytes(body: bytes | memoryview, content_type: str) -> bytes | memoryview:
    """The SeldonMessage JSON of a request: the body itself, or its form's `json` field."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("", "application/json"):
        return body
    if media != FORM:
        raise ProtocolError(
            f"Content-Type: {media} is not supported; send application/json or a form "
            "with the message in its 'json' field",
            415,
        )
    try:
        fields = parse_qs(bytes(body), max_num_fields=MAX_FORM_FIELDS, strict_parsing=False)
    except ValueError:
        raise ProtocolError(f"form: more than {MAX_FORM_FIELDS} fields") from None
    given = fields.get(b"json")
    if not given:
        raise ProtocolError("form: no 'json' field holding the SeldonMessage")
    if len(given) > 1:
        raise ProtocolError("form: the 'json' field is given more than once")
    return given[0]


def _dims(shape: Any) -> list[int]:
    dims = shape.get("dim", []) if isinstance(shape, Mapping) else None
    if not isinstance(dims, list):
        raise ProtocolError("data.tftensor.tensorShape: expected {dim: [{size}, ...]}")
    out: list[int] = []
    for d in dims:
        size = d.get("size", 0) if isinstance(d, Mapping) else None
        # protobuf's JSON writes int64 as a string
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProtocolError("data.tftensor.tensorShape.dim: sizes must be whole numbers")
        out.append(size)
    if len(out) not in (1, 2):
        raise ProtocolError("data.tftensor.tensorShape: expected [rows, columns]")
    return out


def tftensor_rows(tensor: Any) -> list[list[Any]]:
    """The JSON form of a TensorProto (numeric dtypes) -> rows of Python numbers."""
    if not isinstance(tensor, Mapping):
        raise ProtocolError("data.tftensor: expected a TensorProto object")
    dtype = tensor.get("dtype")
    if dtype not in _TF_DTYPES:
        raise ProtocolError(
            f"data.tftensor.dtype: {dtype!r} is not supported; expected one of "
            f"{', '.join(_TF_DTYPES)}"
        )
    dims = _dims(tensor.get("tensorShape"))
    count = math.prod(dims)
    np_dtype, field = _TF_DTYPES[dtype]
    content = tensor.get("tensorContent")
    if content is not None:
        if not isinstance(content, str):
            raise ProtocolError("data.tftensor.tensorContent: expected base64 text")
        if len(content) > 4 * (count * np.dtype(np_dtype).itemsize + 2) // 3 + 4:
            raise ProtocolError(f"data.tftensor.tensorContent: longer than shape {dims} needs")
        try:
            raw = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("data.tftensor.tensorContent: not valid base64") from None
        if len(raw) != count * np.dtype(np_dtype).itemsize:
            raise ProtocolError(
                f"data.tftensor.tensorContent: {len(raw)} bytes, shape {dims} of {dtype} "
                f"needs {count * np.dtype(np_dtype).itemsize}"
            )
        flat = np.frombuffer(raw, dtype=np_dtype).astype(np.float64).tolist()
    else:
        values = tensor.get(field, [])
        if not isinstance(values, list):
            raise ProtocolError(f"data.tftensor.{field}: expected a list")
        if field == "int64Val":
            try:
                values = [int(v) if isinstance(v, str) else v for v in values]
            except ValueError:
                raise ProtocolError(f"data.tftensor.{field}: not whole numbers") from None
        flat = values
        if len(flat) != count:
            raise ProtocolError(
                f"data.tftensor.{field}: shape {dims} needs {count} values, got {len(flat)}"
            )
    width = dims[-1]
    if count == 0:
        raise ProtocolError("data.tftensor.tensorShape: no rows or no columns")
    return [flat[i : i + width] for i in range(0, count, width)]
