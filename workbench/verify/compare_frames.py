"""The pandas and numpy half of workbench.verify.compare: layout first, then the first value."""

from __future__ import annotations

from typing import Any

from workbench.verify.compare import ATOL, RTOL, Difference, _short


def compare_arrays(expected: Any, actual: Any, path: str) -> Difference | None:
    import numpy as np

    if expected.shape != actual.shape:
        return Difference(path, f"shape: notebook {expected.shape}, pipeline {actual.shape}")
    if expected.dtype != actual.dtype:
        return Difference(path, f"dtype: notebook {expected.dtype}, pipeline {actual.dtype}")
    if type(expected) is not np.ndarray or expected.dtype == object:
        same = expected.tolist() == actual.tolist()
        return None if same else Difference(path, "values differ")
    if expected.dtype.kind in "fc":
        equal = (expected == actual) | (np.isnan(expected) & np.isnan(actual))
    else:
        equal = expected == actual
    if bool(np.all(equal)):
        return None
    where = tuple(int(i) for i in np.argwhere(~equal)[0])
    close = expected.dtype.kind in "fc" and bool(
        np.allclose(actual, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
    )
    count = int((~equal).sum())
    return Difference(
        f"{path}[{', '.join(map(str, where))}]",
        f"notebook {expected[where]!r}, pipeline {actual[where]!r} ({count} elements differ)",
        close,
    )


def _same_index_type(a: Any, b: Any) -> bool:
    """Same index class; a RangeIndex equals the int64 Index of the same labels (pandas'
    check_index_type="equiv": the range is a storage form, not a different value)."""
    import pandas as pd

    if type(a) is type(b):
        return True
    kinds = {type(a), type(b)}
    return pd.RangeIndex in kinds and kinds <= {pd.RangeIndex, pd.Index} and a.dtype == b.dtype


def _layout(expected: Any, actual: Any, path: str) -> Difference | None:
    import pandas as pd

    if expected.shape != actual.shape:
        return Difference(path, f"shape: notebook {expected.shape}, pipeline {actual.shape}")
    if isinstance(expected, pd.DataFrame):
        if list(expected.columns) != list(actual.columns):
            pairs = zip(expected.columns, actual.columns, strict=True)
            at = next(i for i, (a, b) in enumerate(pairs) if a != b or type(a) is not type(b))
            return Difference(
                path,
                f"column {at}: notebook {expected.columns[at]!r}, pipeline {actual.columns[at]!r}",
            )
        for column, a, b in zip(expected.columns, expected.dtypes, actual.dtypes, strict=True):
            if a != b:
                return Difference(f"{path}[{column!r}]", f"dtype: notebook {a}, pipeline {b}")
    elif expected.dtype != actual.dtype:
        return Difference(path, f"dtype: notebook {expected.dtype}, pipeline {actual.dtype}")
    elif expected.name != actual.name:
        return Difference(path, f"name: notebook {expected.name!r}, pipeline {actual.name!r}")
    if not expected.index.equals(actual.index) or not _same_index_type(
        expected.index, actual.index
    ):
        return Difference(
            f"{path}.index", f"notebook {_short(expected.index)}, pipeline {_short(actual.index)}"
        )
    if expected.index.dtype != actual.index.dtype or expected.index.names != actual.index.names:
        return Difference(f"{path}.index", "dtype or names differ")
    freq = getattr(expected.index, "freq", None), getattr(actual.index, "freq", None)
    if freq[0] != freq[1]:
        return Difference(f"{path}.index.freq", f"notebook {freq[0]}, pipeline {freq[1]}")
    return None


def _series(expected: Any, actual: Any, path: str) -> Difference | None:
    if expected.equals(actual):
        return None
    e, a = expected.to_numpy(), actual.to_numpy()
    for i in range(len(e)):
        left, right = e[i], a[i]
        try:
            same = bool(left == right) or (left != left and right != right)
        except (TypeError, ValueError):  # array-valued cells
            same = repr(left) == repr(right)
        if not same:
            label = expected.index[i]
            close = False
            if expected.dtype.kind in "fc":
                import numpy as np

                close = bool(np.allclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True))
            return Difference(
                f"{path}[{label!r}]", f"notebook {_short(left)}, pipeline {_short(right)}", close
            )
    return Difference(path, "values differ (pandas .equals)")


def compare_pandas(expected: Any, actual: Any, path: str) -> Difference | None:
    import pandas as pd

    if not isinstance(expected, pd.DataFrame | pd.Series):
        same = expected.equals(actual) if hasattr(expected, "equals") else expected == actual
        return (
            None
            if bool(same)
            else Difference(path, f"notebook {_short(expected)}, pipeline {_short(actual)}")
        )
    layout = _layout(expected, actual, path)
    if layout is not None:
        return layout
    if isinstance(expected, pd.Series):
        return _series(expected, actual, path)
    close: Difference | None = None
    for i, column in enumerate(expected.columns):
        diff = _series(expected.iloc[:, i], actual.iloc[:, i], f"{path}[{column!r}]")
        if diff is not None and not diff.close:
            return diff
        close = close or diff
    return close
