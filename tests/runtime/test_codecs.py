"""The artifact codec registry: every awkward value round-trips exactly (type, dtype, index and
its freq, names, order, categories, masks), lands in an efficient format only when that format
keeps it, and `compare` names what differs. Exactness is checked here with pandas' and numpy's
own testing functions, not with the `compare` under test."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest
from awkward import values
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from workbench.core.errors import ArtifactError
from workbench.runtime import codecs
from workbench.runtime.artifacts import read_meta, read_value, write_value
from workbench.runtime.codecs.base import Codec
from workbench.runtime.compare import compare

AWKWARD = values()
EFFICIENT = ("json", "npy", "parquet")


def assert_identical(back: Any, value: Any) -> None:
    """Exact equality with the same types, by the libraries' own testing functions."""
    assert type(back) is type(value), (type(back), type(value))
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(
            back, value, check_exact=True, check_freq=True, check_flags=True,
            check_index_type=True, check_column_type=True, check_categorical=True,
        )  # fmt: skip
        assert list(back.columns) == list(value.columns)
    elif isinstance(value, pd.Series):
        pd.testing.assert_series_equal(back, value, check_exact=True, check_freq=True)
    elif isinstance(value, np.ma.MaskedArray):
        np.testing.assert_array_equal(np.ma.getmaskarray(back), np.ma.getmaskarray(value))
        np.testing.assert_array_equal(back.filled(0), value.filled(0))
        assert back.dtype == value.dtype
    elif isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert back.flags.f_contiguous == value.flags.f_contiguous
        if value.dtype.kind in "fmM":
            np.testing.assert_array_equal(back, value)  # NaN/NaT positions equal
        else:
            assert (back == value).all()
    elif type(value).__module__.startswith("scipy.sparse"):
        assert back.format == value.format and back.dtype == value.dtype
        assert (back != value).nnz == 0
    elif isinstance(value, float) and math.isnan(value):
        assert math.isnan(back)
    elif isinstance(value, dict):
        assert list(back) == list(value) and back == value
    elif hasattr(value, "__dict__") and type(value).__eq__ is object.__eq__:
        assert vars(back) == vars(value)
    else:
        assert back == value


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_awkward_values_round_trip_exactly(name: str) -> None:
    value, efficient = AWKWARD[name]
    codec, data = codecs.encode(value)
    back = codec.decode(data, {"type": codecs.type_name(value)})
    assert_identical(back, value)
    assert compare(back, value) is None
    if efficient in EFFICIENT:
        assert codec.name == efficient, f"{name} went to {codec.name}"
    else:  # a lossy efficient format must never be chosen: the value went to pickle
        assert codec.name == "pickle", f"{name} went to {codec.name}"


@pytest.mark.parametrize("name", ["freq_index", "plain_frame", "masked", "tuple", "int_keys"])
def test_through_the_artifact_layer(name: str, tmp_path: Any) -> None:
    value, _ = AWKWARD[name]
    write_value(value, str(tmp_path / "a"))
    assert_identical(read_value(str(tmp_path / "a")), value)


def test_registry_order_and_plugins(tmp_path: Any) -> None:
    assert codecs.names()[:4] == ("json", "npy", "parquet", "pickle")
    for codec in codecs.codecs():  # every format encodes what it accepts, exactly
        for value, _ in AWKWARD.values():
            data = codec.encode_exact(value)
            if data is not None:
                assert_identical(codec.decode(data, {"type": codecs.type_name(value)}), value)

    class Upper(Codec):
        name = "upper"

        def accepts(self, value: Any) -> bool:
            return isinstance(value, str) and value.isupper()

        def encode(self, value: Any) -> bytes:
            return value.lower().encode()

        def decode(self, data: bytes, meta: dict[str, str]) -> Any:
            return data.decode().upper()

    codecs.register(Upper(), before="json")
    try:
        write_value("LOUD", str(tmp_path / "u"))
        assert read_meta(str(tmp_path / "u"))["format"] == "upper"
        assert read_value(str(tmp_path / "u")) == "LOUD"
    finally:
        codecs._CODECS.pop("upper")
    with pytest.raises(ArtifactError, match="unknown artifact format 'upper'"):
        read_value(str(tmp_path / "u"))


def test_joblib_artifacts_of_earlier_versions_still_load(tmp_path: Any) -> None:
    import hashlib
    import io
    import json

    import joblib

    buf = io.BytesIO()
    joblib.dump({"x": (1, 2)}, buf)
    data = buf.getvalue()
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "data.joblib").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    meta = {"format": "joblib", "sha256": digest, "type": "builtins.dict"}
    (folder / "meta.json").write_text(json.dumps(meta))
    assert read_value(str(folder)) == {"x": (1, 2)}


def test_a_class_defined_at_run_time_is_stored_by_value() -> None:
    namespace: dict[str, Any] = {}
    exec("class Local:\n    def __init__(self):\n        self.v = [1]\n", namespace)
    value = namespace["Local"]()
    codec, data = codecs.encode(value)
    assert codec.name == "pickle" and pickle.loads(data).v == [1]


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        (1, 1.0, "value: type int != expected float"),
        ((1, 2), [1, 2], "value: type tuple != expected list"),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, "value: key order ['a', 'b'] != expected ['b', 'a']"),
        ({"a": 1}, {"a": 1, "b": 2}, "value: missing key 'b'"),
        ({"a": [1, 2]}, {"a": [1, 3]}, "value['a'][1]: 2 != expected 3"),
        (np.zeros((2, 2)), np.zeros((2, 3)), "value: shape (2, 2) != expected (2, 3)"),
        (np.zeros(2, "f4"), np.zeros(2, "f8"), "value: dtype float32 != expected float64"),
        (np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]]), "value[1, 1]: 4 != expected 5"),
        (
            pd.DataFrame({"a": [1, 2], "b": [1.0, 2.0]}),
            pd.DataFrame({"a": [1, 2], "b": [1.0, 2.5]}),
            "value['b'].iloc[1]: 2.0 != expected 2.5",
        ),
        (
            pd.DataFrame({"a": [1], "b": [2]}),
            pd.DataFrame({"b": [2], "a": [1]}),
            "value.columns:",
        ),
        (
            pd.DataFrame({"a": [1]}),
            pd.DataFrame({"a": [1.0]}),
            "value['a']: dtype int64 != expected float64",
        ),
        (
            pd.Series([1.0], index=pd.date_range("2024", periods=1, freq="D")),
            pd.Series([1.0], index=pd.date_range("2024", periods=1, freq="h")),
            "value.index",
        ),
    ],
)
def test_compare_names_the_first_difference(actual: Any, expected: Any, message: str) -> None:
    found = compare(actual, expected)
    assert found is not None and found.startswith(message), found
    assert compare(expected, expected) is None


def test_compare_tolerances_apply_to_floats_only() -> None:
    assert compare([1.0, {"x": 2.0}], [1.0 + 1e-9, {"x": 2.0}], rtol=1e-6) is None
    assert compare(np.array([1.0]), np.array([1.0 + 1e-9]), rtol=1e-6) is None
    assert compare(np.array([1.0]), np.array([1.0 + 1e-9])) is not None
    assert compare(float("nan"), float("nan")) is None


plain = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=5),
        st.none(),
        st.binary(max_size=3),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=3),
    ),
    max_leaves=10,
)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@settings(deadline=None, max_examples=60)
@given(value=plain)
def test_nested_plain_values_keep_types_and_order(value: Any) -> None:
    codec, data = codecs.encode(value)
    back = codec.decode(data, {"type": codecs.type_name(value)})
    assert _same(back, value)
    assert compare(back, value) is None


@pytest.mark.slow
@settings(deadline=None, max_examples=40)
@given(
    frame=hpd.data_frames(
        [
            hpd.column("i", dtype=np.int32),
            hpd.column("f", dtype=float),
            hpd.column("s", elements=st.one_of(st.text(max_size=4), st.none())),
            hpd.column("m", elements=st.one_of(st.integers(), st.text(max_size=2))),
            hpd.column("t", dtype="datetime64[ns]"),
        ],
        index=hpd.range_indexes(max_size=6),
    )
)
def test_generated_frames_round_trip_exactly(frame: pd.DataFrame) -> None:
    codec, data = codecs.encode(frame)
    back = codec.decode(data, {"type": codecs.type_name(frame)})
    assert_identical(back, frame)


def _split_frame() -> pd.DataFrame:
    """A training frame as `train_test_split` hands it over: rows taken from a frame, which
    leaves pandas' float block Fortran-ordered (each row contiguous)."""
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    features = load_wine(as_frame=True).frame.drop(columns=["target"])
    train, _ = train_test_split(features, test_size=0.25, random_state=0)
    return train


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"kind": pd.Categorical(["a", "b"] * 66 + ["a"])},
        {"when": pd.date_range("2024-01-01", periods=133, tz="UTC")},
        {"count": pd.array([1, None] * 66 + [2], dtype="Int64"), "label": "x"},
    ],
    ids=["floats", "categorical", "tz-datetime", "nullable-and-object"],
)
def test_parquet_keeps_the_block_layout_so_arithmetic_gives_the_same_bits(extra: dict) -> None:
    """A frame's values and its memory layout come back: StandardScaler's mean_ was one ulp off
    after a plain parquet round trip (numpy sums contiguous and strided runs differently), the
    divergence `productionize --verify` found in `workbench init`'s starter notebook."""
    from sklearn.preprocessing import StandardScaler

    from workbench.runtime.codecs.layout import block_layout

    frame = _split_frame().assign(**extra)
    numeric = list(_split_frame().columns)
    codec, data = codecs.encode(frame)
    assert codec.name == "parquet"
    back = codec.decode(data, {"type": "pandas.core.frame.DataFrame"})
    assert_identical(back, frame)
    assert block_layout(back) == block_layout(frame) == [(tuple(range(13)), "F")]
    expected = StandardScaler().fit(frame[numeric]).mean_
    assert StandardScaler().fit(back[numeric]).mean_.tobytes() == expected.tobytes()
    # the cause, shown: pyarrow alone gives C-ordered blocks, and other bits
    plain = pd.read_parquet(__import__("io").BytesIO(data))
    assert block_layout(plain) == [(tuple(range(13)), "C")]
    assert StandardScaler().fit(plain[numeric]).mean_.tobytes() != expected.tobytes()


def test_a_strided_frame_is_not_parquet() -> None:
    """A frame that is a strided view (every other row) has no file layout that keeps it."""
    frame = pd.DataFrame(np.arange(40.0).reshape(20, 2), columns=["a", "b"])
    view = _split_frame().iloc[::2]
    assert codecs.encode(view)[0].name == "pickle"
    assert codecs.encode(frame)[0].name == "parquet"


# frames built as notebooks build them: columns added, dropped and rows taken, which leaves
# pandas' blocks consolidated, split or Fortran-ordered in every mix
_OPS = st.lists(
    st.sampled_from(["assign_int", "assign_float", "dropna", "rows", "drop", "copy", "fill"]),
    max_size=5,
)


def _built(start: pd.DataFrame, ops: list[str]) -> pd.DataFrame:
    frame = start
    for i, op in enumerate(ops):
        if op == "assign_int":
            frame = frame.assign(**{f"n{i}": np.arange(len(frame), dtype=np.int64)})
        elif op == "assign_float":
            frame = frame.assign(**{f"x{i}": np.linspace(0.0, 1.0, len(frame))})
        elif op == "dropna":
            frame = frame.dropna()
        elif op == "rows":
            frame = frame.iloc[list(range(len(frame)))[::-1]]
        elif op == "drop" and frame.shape[1] > 1:
            frame = frame.drop(columns=[frame.columns[0]])
        elif op == "copy":
            frame = frame.copy()
        elif op == "fill":
            frame = frame.fillna(frame.median(numeric_only=True))
    return frame


@settings(deadline=None, max_examples=60)
@given(
    start=hpd.data_frames(
        [
            hpd.column("i", dtype=np.int64),
            hpd.column("j", dtype=np.int64),
            hpd.column("f", dtype=float),
            hpd.column("g", dtype=float),
        ],
        index=hpd.range_indexes(min_size=1, max_size=5),
    ),
    ops=_OPS,
)
def test_the_layout_shortcut_never_changes_the_format(start: pd.DataFrame, ops: list[str]) -> None:
    """`merged_by_pyarrow` skips parquet's round trip only for frames the round trip refuses:
    the format chosen is the one the full check chooses."""
    from workbench.runtime.codecs.layout import merged_by_pyarrow
    from workbench.runtime.codecs.parquet import ParquetCodec

    frame = _built(start, ops)
    codec = ParquetCodec()
    full = codec.checked_encode(frame)
    if merged_by_pyarrow(frame):
        assert full is None
    assert (codec.encode_exact(frame) is None) == (full is None)


def test_a_frame_the_file_cannot_keep_goes_to_pickle_without_a_round_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Columns added with `assign` sit in blocks of their own, which pyarrow merges: known from
    the blocks, so parquet is not even written."""
    from workbench.runtime.codecs.layout import merged_by_pyarrow
    from workbench.runtime.codecs.parquet import ParquetCodec

    cars = pd.DataFrame({"year": [2010, 2015, 2020], "km": [9e4, 5e4, None]}).dropna()
    frame = cars.assign(age=2024 - cars["year"])
    assert merged_by_pyarrow(frame) and not merged_by_pyarrow(frame.copy())
    assert ParquetCodec().checked_encode(frame) is None  # what the round trip would say

    def no_round_trip(*args: Any) -> Any:
        raise AssertionError("parquet was written")

    monkeypatch.setattr(ParquetCodec, "encode", no_round_trip)
    codec, data = codecs.encode(frame)
    assert codec.name == "pickle"
    assert_identical(codec.decode(data, {"type": codecs.type_name(frame)}), frame)
