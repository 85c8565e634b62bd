"""Values that artifact formats are known to get wrong, each with the format it should land in.

Used in-process (encode/decode) and inside a real step subprocess (tests/runtime)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import numpy as np
import pandas as pd


class Frame(pd.DataFrame):
    """A DataFrame subclass: parquet would return a plain DataFrame."""

    @property
    def _constructor(self) -> type:
        return Frame


class Point:
    """A plain object with no __eq__ of its own."""

    def __init__(self, x: float, tags: list[str]) -> None:
        self.x, self.tags = x, tags


def _matrix() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # numpy discourages matrix
        return np.matrix([[1, 2], [3, 4]])


def values() -> dict[str, tuple[Any, str]]:
    """name -> (value, expected format)."""
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, np.nan, 2.0], "c": ["x", "y", None]})
    out: dict[str, tuple[Any, str]] = {
        "plain_dict_order": ({"b": 1, "a": [1.5, None], "c": {"z": 1, "y": 2}}, "json"),
        "tuple": ((1, "a", (2.0, None)), "pickle"),
        "list_of_tuples": ([(1, 2), (3, 4)], "pickle"),
        "int_keys": ({1: "a", 2: "b"}, "pickle"),
        "nan_float": (float("nan"), "pickle"),
        "neg_inf": (float("-inf"), "pickle"),
        "big_int": (2**70, "json"),
        "set": ({3, 1, 2}, "pickle"),
        "bytes": (b"\x00\xff", "pickle"),
        "decimal": (decimal.Decimal("1.10"), "pickle"),
        "date": (dt.date(2024, 2, 29), "pickle"),
        "complex": (1 + 2j, "pickle"),
        "np_scalar": (np.float32(1.5), "pickle"),
        "float_array": (rng.normal(size=(3, 4)), "npy"),
        "fortran_array": (np.asfortranarray(rng.normal(size=(3, 2))), "npy"),
        "zero_d_array": (np.array(7, dtype=np.int16), "npy"),
        "datetime_array": (np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]"), "npy"),
        "structured": (np.array([(1, 2.0)], dtype=[("i", "i4"), ("f", "f8")]), "npy"),
        "object_array": (np.array([1, "a", None], dtype=object), "pickle"),
        "matrix": (_matrix(), "pickle"),
        "masked": (np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False]), "pickle"),
        "recarray": (np.rec.array([(1, 2.0)], dtype=[("i", "i4"), ("f", "f8")]), "pickle"),
        "plain_frame": (base, "parquet"),
        "range_index_step": (
            pd.DataFrame({"a": [1, 2]}, index=pd.RangeIndex(0, 20, 10)),
            "parquet",
        ),
        "named_index": (base.rename_axis("row"), "parquet"),
        "freq_index": (
            pd.DataFrame(
                {"v": [1.0, 2.0, 3.0]}, index=pd.date_range("2024-01-01", periods=3, freq="D")
            ),
            "pickle",
        ),
        "tz_column": (
            pd.DataFrame(
                {"t": pd.to_datetime(["2024-01-01 10:00", None]).tz_localize("Europe/Paris")}
            ),
            "parquet",
        ),
        "tz_index": (
            pd.DataFrame(
                {"v": [1, 2]},
                index=pd.DatetimeIndex(["2024-03-31 01:00", "2024-03-31 03:00"], tz="Europe/Paris"),
            ),
            "parquet",
        ),
        "nullable": (
            pd.DataFrame(
                {
                    "i": pd.array([1, None], dtype="Int64"),
                    "b": pd.array([True, None], dtype="boolean"),
                    "s": pd.array(["a", None], dtype="string"),
                    "f": pd.array([0.5, None], dtype="Float32"),
                }
            ),
            "parquet",
        ),
        "categories": (
            pd.DataFrame(
                {
                    "c": pd.Categorical(
                        ["lo", "hi", "lo"], categories=["lo", "mid", "hi"], ordered=True
                    )
                }
            ),
            "parquet",
        ),
        "category_index": (
            pd.DataFrame(
                {"v": [1, 2]}, index=pd.CategoricalIndex(["a", "b"], categories=["b", "a"])
            ),
            "parquet",
        ),
        "list_column": (pd.DataFrame({"l": [[1, 2], [], [3]]}), "pickle"),
        "dict_column": (pd.DataFrame({"d": [{"a": 1}, {"b": 2}]}), "pickle"),
        "mixed_object": (pd.DataFrame({"m": [1, "a", 2.5, None]}), "pickle"),
        "mixed_int_float_object": (
            pd.DataFrame({"m": pd.Series([1, 2.5], dtype=object)}),
            "pickle",
        ),
        "duplicate_columns": (pd.DataFrame([[1, 2]], columns=["a", "a"]), "pickle"),
        "int_columns": (pd.DataFrame([[1, 2]]), "pickle"),
        "multiindex_columns": (
            pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
            "pickle",
        ),
        "multiindex_rows": (
            pd.DataFrame(
                {"v": [1, 2]},
                index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "n"]),
            ),
            "parquet",
        ),
        "timedelta": (pd.DataFrame({"d": pd.to_timedelta([1, 2], unit="s")}), "parquet"),
        "empty_frame": (pd.DataFrame(), "pickle"),
        "subclass_frame": (Frame({"a": [1]}), "pickle"),
        "series_unnamed": (pd.Series([1.0, 2.0]), "parquet"),
        "series_named": (pd.Series([1, 2], name="n", index=["x", "y"]), "parquet"),
        "series_int_name": (pd.Series([1, 2], name=3), "pickle"),
        "series_category": (pd.Series(pd.Categorical(["a", "b"]), name="c"), "parquet"),
        "object": (Point(1.5, ["a"]), "pickle"),
    }
    try:
        import scipy.sparse as sp

        out["sparse_csr"] = (sp.random(5, 4, density=0.3, format="csr", random_state=0), "pickle")
        out["sparse_coo"] = (sp.coo_matrix(np.eye(3)), "pickle")
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn here
        pass
    return out
