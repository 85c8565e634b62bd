"""What every protocol shares: the client-error type, and building one validated input matrix
(rows x signature columns) from rows, records or columns.

The hot path is one `np.asarray` over orjson's lists: a float64 matrix when every value is a
number. Anything else (nulls, strings, ragged rows) takes a slower path that finds the offending
value and names it, so a client's mistake becomes a 4xx that says which field to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.serving.signature import NUMERIC, Signature


class ProtocolError(Exception):
    """A client's mistake: answered with `status` (always 4xx) and a message naming the field."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Batch:
    """A validated input: `matrix` has one row per instance and the signature's columns in order
    (float64 when every column is numeric, else object)."""

    matrix: np.ndarray


@dataclass(frozen=True)
class Predictions:
    """Model output for a batch: labels, and class probabilities where the model has them."""

    labels: np.ndarray
    proba: np.ndarray | None
    classes: tuple[Any, ...]

    @property
    def proba_names(self) -> list[str]:
        return [f"proba_{c}" for c in self.classes]


_NUMBERS = frozenset({int, float, bool, type(None)})  # JSON values a numeric column accepts
MAX_ECHO_DEPTH = 16  # a field echoed back (Seldon's meta) nests at most this deep ...
MAX_ECHO_NODES = 4096  # ... and holds at most this many values and characters of keys and text
MAX_ECHO_CHARS = 64 * 1024


def check_echoable(value: Any, field: str) -> None:
    """A JSON value that goes back into the response is bounded in depth, count and size.

    orjson serializes at most 255 levels, so an unbounded echo (Seldon's `meta`) let a client
    turn its own request into a 500; a large one amplifies every response. Iterative: the check
    itself cannot overflow.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = chars = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if depth > MAX_ECHO_DEPTH:
            raise ProtocolError(f"{field}: nested deeper than {MAX_ECHO_DEPTH} levels")
        if isinstance(item, dict):
            chars += sum(len(k) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            chars += len(item)
        if nodes > MAX_ECHO_NODES or chars > MAX_ECHO_CHARS:
            raise ProtocolError(
                f"{field}: over {MAX_ECHO_NODES} values or {MAX_ECHO_CHARS} characters"
            )


def _type_error(field: str, i: int, j: int, value: Any, sig: Signature) -> ProtocolError:
    col = sig.inputs[j]
    want = col.type if col.type in NUMERIC else "string"
    return ProtocolError(
        f"{field}[{i}][{j}] (column '{col.name}'): expected {want}, got {type(value).__name__}"
    )


def _find_bad_value(rows: list[list[Any]], field: str, sig: Signature) -> ProtocolError | None:
    """The first value that does not fit its column's type, described (a slow path, on Python
    values: no array is built from unchecked values)."""
    numeric = [c.type in NUMERIC for c in sig.inputs]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is None:  # a missing value: NaN, for the model's imputer to fill
                continue
            # JSON true/false are ints to Python: accepted as 1/0 in numeric columns
            ok = type(value) in _NUMBERS if numeric[j] else isinstance(value, str)
            if not ok:
                return _type_error(field, i, j, value, sig)
    return None


def _check_rows(rows: Any, field: str, sig: Signature) -> list[list[Any]]:
    if not isinstance(rows, list):
        raise ProtocolError(f"{field}: expected a list of rows, got {type(rows).__name__}")
    if not rows:
        raise ProtocolError(f"{field}: no rows")
    width = sig.width
    if not all(type(r) is list and len(r) == width for r in rows):
        for i, r in enumerate(rows):
            if type(r) is not list or len(r) != width:
                got = f"{len(r)} values" if isinstance(r, list) else type(r).__name__
                raise ProtocolError(
                    f"{field}[{i}]: expected a row of {width} values "
                    f"({', '.join(sig.names[:5])}{', ...' if width > 5 else ''}), got {got}"
                )
    return rows


def rows_to_batch(rows: Any, field: str, sig: Signature) -> Batch:
    """Rows (a list of equal-length lists in signature order) -> Batch; errors name `field`.

    Every value's type is checked against its column before any array exists: numpy left to
    guess builds a fixed-width unicode array from numbers and one long string (a 116 KB body
    became 1.6 GB). Numeric columns then become one float64 matrix; other signatures an object
    matrix of the checked Python values.
    """
    rows = _check_rows(rows, field, sig)
    kinds: set[type] = set()
    for r in rows:
        kinds.update(map(type, r))
    if not (sig.numeric and kinds <= _NUMBERS):
        err = _find_bad_value(rows, field, sig)
        if err is not None:
            raise err
    if not sig.numeric:
        matrix = np.empty((len(rows), sig.width), dtype=object)
        matrix[:] = rows
        return Batch(matrix)
    out = np.array(rows, dtype=np.float64)  # null -> NaN
    check_integral(out, field, sig)
    return Batch(out)


def check_integral(matrix: np.ndarray, field: str, sig: Signature) -> None:
    for j in sig.integral:
        col = sig.inputs[j]
        values = matrix[:, j]
        bad = np.flatnonzero(~np.isnan(values) & (values != np.floor(values)))
        if bad.size:
            raise ProtocolError(
                f"{field}[{int(bad[0])}][{j}] (column '{col.name}'): "
                f"expected {col.type}, got {values[bad[0]]}"
            )


def _absent(given: Any, field: str, sig: Signature) -> list[str]:
    """Signature columns not in `given`; ProtocolError when a required one is among them."""
    absent = [n for n in sig.names if n not in given]
    missing = [n for n in absent if n in sig.required]
    if missing:
        raise ProtocolError(f"{field}: missing column(s) {', '.join(missing[:5])}")
    return absent


def column_order(names: Any, field: str, sig: Signature) -> list[int | None] | None:
    """Index of each signature column within the client's `names` (None: an optional column the
    client left out, sent as null); None when already in order."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ProtocolError(f"{field}: expected a list of column names")
    if not sig.named:
        if len(names) != sig.width:
            raise ProtocolError(f"{field}: expected {sig.width} names, got {len(names)}")
        return None
    if tuple(names) == sig.names:
        return None
    if len(names) > 4 * sig.width + 16:
        raise ProtocolError(f"{field}: {len(names)} names for {sig.width} columns")
    _absent(set(names), field, sig)
    known = set(sig.names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ProtocolError(f"{field}: unknown column(s) {', '.join(unknown[:5])}")
    if len(set(names)) != len(names):
        raise ProtocolError(f"{field}: duplicate column names")
    at = {n: i for i, n in enumerate(names)}
    return [at.get(n) for n in sig.names]


def named_rows_to_batch(
    rows: Any, names: Any, field: str, names_field: str, sig: Signature
) -> Batch:
    """Rows whose columns are given by `names` (any order) -> Batch in signature order."""
    order = column_order(names, names_field, sig) if names is not None else None
    if order is None:
        return rows_to_batch(rows, field, sig)
    if not isinstance(rows, list) or not rows:
        raise ProtocolError(f"{field}: expected a non-empty list of rows")
    width = len(names)
    for i, r in enumerate(rows):
        if type(r) is not list or len(r) != width:
            raise ProtocolError(f"{field}[{i}]: expected a row of {width} values, one per name")
    return rows_to_batch([[None if k is None else r[k] for k in order] for r in rows], field, sig)


def columns_to_batch(columns: Any, field: str, sig: Signature) -> Batch:
    """{column: [values...]} -> Batch; every required column present, all the same length."""
    if not isinstance(columns, Mapping):
        raise ProtocolError(f"{field}: expected an object of columns")
    absent = _absent(columns, field, sig)
    unknown = [n for n in columns if n not in sig.names]
    if unknown:
        raise ProtocolError(f"{field}: unknown column(s) {', '.join(map(str, unknown[:5]))}")
    given = [columns[n] for n in sig.names if n not in absent]
    lengths = {len(v) if isinstance(v, list) else -1 for v in given}
    if len(lengths) != 1 or -1 in lengths:
        raise ProtocolError(f"{field}: every column must be a list, all of the same length")
    n = lengths.pop()
    values = [columns[c] if c not in absent else [None] * n for c in sig.names]
    return rows_to_batch([list(r) for r in zip(*values, strict=True)], field, sig)


def records_to_batch(records: Any, field: str, sig: Signature) -> Batch:
    """[{column: value}, ...] -> Batch; each record holds the required columns and no others."""
    if not isinstance(records, list) or not records:
        raise ProtocolError(f"{field}: expected a non-empty list of records")
    names = sig.names
    required = sig.required
    rows: list[list[Any]] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ProtocolError(f"{field}[{i}]: expected an object of column values")
        if len(rec) != len(names) or not all(n in rec for n in names):
            missing = [n for n in required if n not in rec]
            unknown = [n for n in rec if n not in names]
            if missing or unknown:
                what = (
                    f"missing {', '.join(sorted(missing)[:5])}"
                    if missing
                    else f"unknown {', '.join(map(str, unknown[:5]))}"
                )
                raise ProtocolError(f"{field}[{i}]: {what}")
        rows.append([rec.get(n) for n in names])
    return rows_to_batch(rows, field, sig)


def flat_values(values: Sequence[Any], shape: Sequence[int] | None = None) -> list[Any]:
    """A flat list from possibly nested lists (V2 and Seldon tensors allow either); nested data
    must be rectangular, and match `shape` when one is given."""
    if values and isinstance(values[0], list):
        try:
            arr = np.asarray(values, dtype=object)
        except (ValueError, TypeError):
            raise ProtocolError("data: nested lists must be rectangular") from None
        if shape is not None and arr.shape != tuple(shape):
            raise ProtocolError(f"data: nested as {list(arr.shape)}, but shape says {list(shape)}")
        flat = list(arr.reshape(-1))
        if any(type(v) is list for v in flat):
            raise ProtocolError("data: nested lists must be rectangular")
        return flat
    return list(values)
