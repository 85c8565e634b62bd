"""Open Inference's binary tensor data extension (what tritonclient sends by default).

A request with the `Inference-Header-Content-Length: N` header is N bytes of JSON (the usual
inference request, where an input carries `parameters.binary_data_size` instead of `data`)
followed by the raw tensors in input order: little-endian, row-major; BOOL one byte per value;
BYTES as elements each prefixed by its 4-byte little-endian length. Responses put an output in
the same binary form when the request asks (`parameters.binary_data` on a requested output, or
`parameters.binary_data_output` on the request), with the response's JSON length in the same
header. Everything is checked before use: the declared sizes against Content-Length (before the
body is read), each tensor's bytes against its shape and datatype.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson

from workbench.serving.codecs.common import ProtocolError

HEADER = "inference-header-content-length"
# datatype -> numpy dtype of its wire form (BYTES has none: length-prefixed elements)
WIRE = {
    "BOOL": "?",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
    **{f"INT{b}": f"<i{b // 8}" for b in (8, 16, 32, 64)},
    **{f"UINT{b}": f"<u{b // 8}" for b in (8, 16, 32, 64)},
}


def check_lengths(header: str, content_length: str | None, limit: int) -> tuple[int, int]:
    """(JSON length, body length) from the headers alone, before any of the body is read."""
    if not header.isdigit() or int(header) == 0:
        raise ProtocolError("Inference-Header-Content-Length: expected a positive whole number")
    if content_length is None:
        raise ProtocolError(
            "Content-Length: required with Inference-Header-Content-Length (binary tensors)", 411
        )
    if not content_length.isdigit():
        raise ProtocolError("Content-Length: not a number")
    size, total = int(header), int(content_length)
    if total > limit:
        raise ProtocolError(f"body: {total} bytes is over the limit of {limit}", 413)
    if size > total:
        raise ProtocolError(
            f"Inference-Header-Content-Length: {size} is more than the body's {total} bytes"
        )
    return size, total


def parse_header(head: bytes | memoryview) -> dict[str, Any]:
    try:
        doc = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(
            f"body: the first Inference-Header-Content-Length bytes are not JSON: {exc}"
        ) from None
    if not isinstance(doc, dict):
        raise ProtocolError("body: expected an inference request object with 'inputs'")
    return doc


def binary_sizes(doc: Mapping[str, Any]) -> list[int | None]:
    """Each input's `parameters.binary_data_size` (None: its data is in the JSON)."""
    inputs = doc.get("inputs")
    if not isinstance(inputs, list):
        raise ProtocolError("inputs: expected a non-empty list of tensors")
    sizes: list[int | None] = []
    for i, tensor in enumerate(inputs):
        params = tensor.get("parameters") if isinstance(tensor, Mapping) else None
        size = params.get("binary_data_size") if isinstance(params, Mapping) else None
        if size is not None:
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise ProtocolError(
                    f"inputs[{i}].parameters.binary_data_size: expected a whole number"
                )
            if "data" in tensor:
                raise ProtocolError(f"inputs[{i}]: both data and binary_data_size")
        sizes.append(size)
    return sizes


def check_sizes(head: bytes, binary_bytes: int) -> None:
    """The binary sizes the JSON declares add up to the bytes that follow it (the peek)."""
    declared = sum(s for s in binary_sizes(parse_header(head)) if s is not None)
    if declared != binary_bytes:
        raise ProtocolError(
            f"inputs: binary_data_size adds up to {declared} bytes, but {binary_bytes} bytes "
            "follow the JSON header"
        )


def _bytes_elements(raw: memoryview, count: int, field: str) -> np.ndarray:
    out = np.empty(count, dtype=object)
    at, n = 0, 0
    while at < len(raw):
        if n == count or at + 4 > len(raw):
            raise ProtocolError(f"{field}: BYTES elements do not match shape ({count} elements)")
        (length,) = struct.unpack_from("<I", raw, at)
        at += 4
        if at + length > len(raw):
            raise ProtocolError(f"{field}: a BYTES element runs past its binary_data_size")
        try:
            out[n] = bytes(raw[at : at + length]).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(f"{field}: BYTES element {n} is not UTF-8 text") from None
        at, n = at + length, n + 1
    if n != count:
        raise ProtocolError(f"{field}: {n} BYTES elements, shape needs {count}")
    return out


def tensor(raw: memoryview, datatype: str, shape: list[int], field: str) -> np.ndarray:
    """One input's bytes -> a flat array (BYTES: an object array of str), checked against its
    shape and datatype; non-finite floats are refused (NaN stays: a missing value)."""
    count = math.prod(shape)
    if datatype == "BYTES":
        return _bytes_elements(raw, count, field)
    if datatype not in WIRE:
        raise ProtocolError(f"{field}.datatype: {datatype!r} is not a known datatype")
    dtype = np.dtype(WIRE[datatype])
    if len(raw) != count * dtype.itemsize:
        raise ProtocolError(
            f"{field}: {len(raw)} bytes, but shape {shape} of {datatype} needs "
            f"{count * dtype.itemsize}"
        )
    arr = np.frombuffer(raw, dtype=dtype)
    if dtype.kind == "f" and np.isinf(arr).any():
        raise ProtocolError(f"{field}: infinite values (send NaN for a missing value)")
    return arr


def split(body: bytes | memoryview, header_length: int) -> dict[str, Any]:
    """A binary request -> its JSON document, each binary input's `data` a flat numpy array."""
    doc = parse_header(body[:header_length])
    sizes = binary_sizes(doc)
    view = memoryview(body)[header_length:]
    at = 0
    for i, size in enumerate(sizes):
        if size is None:
            continue
        spec = doc["inputs"][i]
        field = f"inputs[{i}] ('{spec.get('name')}')"
        shape = spec.get("shape")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise ProtocolError(f"{field}.shape: expected a list of non-negative integers")
        spec["data"] = tensor(view[at : at + size], str(spec.get("datatype")), shape, field)
        at += size
    if at != len(view):
        raise ProtocolError(f"inputs: {len(view) - at} bytes after the last binary tensor")
    return doc


def to_bytes(data: Any, datatype: str) -> bytes:
    """One output's values in the wire form of `datatype`."""
    if datatype == "BYTES":
        parts = []
        for v in np.asarray(data, dtype=object).reshape(-1).tolist():
            b = v if isinstance(v, bytes) else str(v).encode("utf-8")
            parts.append(struct.pack("<I", len(b)) + b)
        return b"".join(parts)
    return np.ascontiguousarray(np.asarray(data).reshape(-1), dtype=WIRE[datatype]).tobytes()


def binary_outputs(doc: Mapping[str, Any]) -> tuple[set[str], bool]:
    """Outputs the request wants in binary: (names asked by their own parameters, all)."""
    params = doc.get("parameters")
    if params is not None and not isinstance(params, Mapping):
        raise ProtocolError("parameters: expected an object")
    every = bool(params.get("binary_data_output")) if params else False
    named: set[str] = set()
    for out in doc.get("outputs") or []:
        p = out.get("parameters") if isinstance(out, Mapping) else None
        if isinstance(p, Mapping) and p.get("binary_data") is True:
            named.add(str(out.get("name")))
    return named, every


def encode(response: dict[str, Any], binary: set[str], every: bool) -> list[bytes]:
    """Move the binary outputs' data out of `response` (which then is the JSON header) into
    the returned tails, in output order, each output naming its `binary_data_size`."""
    tails: list[bytes] = []
    for out in response["outputs"]:
        if every or out["name"] in binary:
            raw = to_bytes(out.pop("data"), out["datatype"])
            out["parameters"] = {**out.get("parameters", {}), "binary_data_size": len(raw)}
            tails.append(raw)
    return tails
