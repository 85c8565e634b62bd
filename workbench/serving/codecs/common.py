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


def _find_bad_value(matrix: np.ndarray, field: str, sig: Signature) -> ProtocolError | None:
    """The first value (of an object matrix) that does not fit its column's type, described."""
    for i, row in enumerate(matrix.tolist()):
        for j, value in enumerate(row):
            if value is None:  # a missing value: NaN, for the model's imputer to fill
                continue
            col = sig.inputs[j]
            # JSON true/false are ints to Python: accepted as 1/0 in numeric columns
            ok = isinstance(value, int | float) if col.type in NUMERIC else isinstance(value, str)
            if not ok:
                want = col.type if col.type in NUMERIC else "string"
                return ProtocolError(
                    f"{field}[{i}][{j}] (column '{col.name}'): expected {want}, "
                    f"got {type(value).__name__}"
                )
    return None


def rows_to_batch(rows: Any, field: str, sig: Signature) -> Batch:
    """Rows (a list of equal-length lists in signature order) -> Batch; errors name `field`."""
    if not isinstance(rows, list):
        raise ProtocolError(f"{field}: expected a list of rows, got {type(rows).__name__}")
    if not rows:
        raise ProtocolError(f"{field}: no rows")
    try:
        matrix = np.asarray(rows)
    except (ValueError, TypeError):
        raise ProtocolError(
            f"{field}: every row must be a list of {sig.width} values "
            f"({', '.join(sig.names[:5])}{', ...' if sig.width > 5 else ''})"
        ) from None
    if matrix.ndim != 2 or matrix.shape[1] != sig.width:
        raise ProtocolError(
            f"{field}: expected rows of {sig.width} values, got shape {list(matrix.shape)}"
        )
    if sig.numeric and matrix.dtype.kind in "fiub":
        out = matrix.astype(np.float64, copy=False)  # the hot path: all numbers
    else:
        # nulls, strings or junk: keep Python types so the offending value can be named
        obj = np.asarray(rows, dtype=object)
        err = _find_bad_value(obj, field, sig)
        if err is not None:
            raise err
        if not sig.numeric:
            return Batch(obj)
        out = obj.astype(np.float64)
    _check_integral(out, field, sig)
    return Batch(out)


def _check_integral(matrix: np.ndarray, field: str, sig: Signature) -> None:
    for j in sig.integral:
        col = sig.inputs[j]
        values = matrix[:, j]
        bad = np.flatnonzero(~np.isnan(values) & (values != np.floor(values)))
        if bad.size:
            raise ProtocolError(
                f"{field}[{int(bad[0])}][{j}] (column '{col.name}'): "
                f"expected {col.type}, got {values[bad[0]]}"
            )


def column_order(names: Any, field: str, sig: Signature) -> list[int] | None:
    """Index of each signature column within the client's `names`; None when already in order."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ProtocolError(f"{field}: expected a list of column names")
    if not sig.named:
        if len(names) != sig.width:
            raise ProtocolError(f"{field}: expected {sig.width} names, got {len(names)}")
        return None
    if tuple(names) == sig.names:
        return None
    missing = [n for n in sig.names if n not in names]
    if missing:
        raise ProtocolError(f"{field}: missing column(s) {', '.join(missing[:5])}")
    unknown = [n for n in names if n not in sig.names]
    if unknown:
        raise ProtocolError(f"{field}: unknown column(s) {', '.join(unknown[:5])}")
    if len(set(names)) != len(names):
        raise ProtocolError(f"{field}: duplicate column names")
    return [names.index(n) for n in sig.names]


def named_rows_to_batch(
    rows: Any, names: Any, field: str, names_field: str, sig: Signature
) -> Batch:
    """Rows whose columns are given by `names` (any order) -> Batch in signature order."""
    order = column_order(names, names_field, sig) if names is not None else None
    if order is None:
        return rows_to_batch(rows, field, sig)
    if not isinstance(rows, list) or not rows:
        raise ProtocolError(f"{field}: expected a non-empty list of rows")
    width = len(order)
    try:
        matrix = np.asarray(rows, dtype=object)
    except (ValueError, TypeError):
        matrix = np.empty(0)
    if matrix.ndim != 2 or matrix.shape[1] != width:
        raise ProtocolError(f"{field}: expected rows of {width} values, one per name")
    return rows_to_batch(matrix[:, order].tolist(), field, sig)


def columns_to_batch(columns: Any, field: str, sig: Signature) -> Batch:
    """{column: [values...]} -> Batch; every signature column present, all the same length."""
    if not isinstance(columns, Mapping):
        raise ProtocolError(f"{field}: expected an object of columns")
    missing = [n for n in sig.names if n not in columns]
    if missing:
        raise ProtocolError(f"{field}: missing column(s) {', '.join(missing[:5])}")
    unknown = [n for n in columns if n not in sig.names]
    if unknown:
        raise ProtocolError(f"{field}: unknown column(s) {', '.join(map(str, unknown[:5]))}")
    values = [columns[n] for n in sig.names]
    lengths = {len(v) if isinstance(v, list) else -1 for v in values}
    if len(lengths) != 1 or -1 in lengths:
        raise ProtocolError(f"{field}: every column must be a list, all of the same length")
    return rows_to_batch([list(r) for r in zip(*values, strict=True)], field, sig)


def records_to_batch(records: Any, field: str, sig: Signature) -> Batch:
    """[{column: value}, ...] -> Batch; each record must hold exactly the signature's columns."""
    if not isinstance(records, list) or not records:
        raise ProtocolError(f"{field}: expected a non-empty list of records")
    names = sig.names
    rows: list[list[Any]] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ProtocolError(f"{field}[{i}]: expected an object of column values")
        if len(rec) != len(names) or not all(n in rec for n in names):
            missing = [n for n in names if n not in rec]
            unknown = [n for n in rec if n not in names]
            what = (
                f"missing {', '.join(missing[:5])}"
                if missing
                else f"unknown {', '.join(map(str, unknown[:5]))}"
            )
            raise ProtocolError(f"{field}[{i}]: {what}")
        rows.append([rec[n] for n in names])
    return rows_to_batch(rows, field, sig)


def flat_values(values: Sequence[Any]) -> list[Any]:
    """A flat list from possibly nested lists (V2 and Seldon tensors allow either)."""
    if values and isinstance(values[0], list):
        try:
            return list(np.asarray(values, dtype=object).reshape(-1))
        except (ValueError, TypeError):
            raise ProtocolError("data: nested lists must be rectangular") from None
    return list(values)
