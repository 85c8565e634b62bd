"""The protocol codecs alone: bodies in, matrices out, errors that name the field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.serving.codecs import Predictions, ProtocolError, scoring, seldon, v2
from workbench.serving.signature import (
    Column,
    Signature,
    signature_from_dict,
    signature_from_mlmodel,
)

SIG = Signature((Column("a"), Column("b"), Column("n", "long")))
ROWS = [[1.0, 2.5, 3], [4.0, 5.5, 6]]


def errors(fn: object, *args: object) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value


def test_seldon_ndarray_in_signature_order_and_reordered_by_names() -> None:
    batch, form = seldon.decode({"data": {"ndarray": ROWS}}, SIG)
    assert form == "ndarray" and batch.matrix.dtype == np.float64
    np.testing.assert_array_equal(batch.matrix, np.array(ROWS))
    shuffled = [[r[2], r[0], r[1]] for r in ROWS]
    batch, _ = seldon.decode({"data": {"names": ["n", "a", "b"], "ndarray": shuffled}}, SIG)
    np.testing.assert_array_equal(batch.matrix, np.array(ROWS))


def test_seldon_tensor_flat_and_json_data_forms() -> None:
    flat = [v for r in ROWS for v in r]
    batch, form = seldon.decode({"data": {"tensor": {"shape": [2, 3], "values": flat}}}, SIG)
    assert form == "tensor"
    np.testing.assert_array_equal(batch.matrix, np.array(ROWS))
    records = [dict(zip("abn", r, strict=True)) for r in ROWS]
    for doc in (records, {"a": [1.0, 4.0], "b": [2.5, 5.5], "n": [3, 6]}, {"ndarray": ROWS}):
        batch, form = seldon.decode({"jsonData": doc}, SIG)
        assert form == "jsonData"
        np.testing.assert_array_equal(batch.matrix, np.array(ROWS))


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"data": {"ndarray": [[1.0, 2.0]]}}, "data.ndarray[0]: expected a row of 3"),
        (
            {"data": {"ndarray": [[1.0, "x", 3]]}},
            "data.ndarray[0][1] (column 'b'): expected double",
        ),
        ({"data": {"ndarray": [[1.0, 2.0, 3.5]]}}, "column 'n'): expected long"),
        (
            {"data": {"ndarray": [[1.0, 2.0], [1.0, 2.0, 3.0]]}},
            "data.ndarray[0]: expected a row of 3",
        ),
        ({"data": {"names": ["a", "b", "zz"], "ndarray": ROWS}}, "data.names: missing column(s) n"),
        ({"data": {"tensor": {"shape": [2, 3], "values": [1.0]}}}, "data.tensor.values: shape"),
        ({"data": {"tensor": {"shape": "x", "values": []}}}, "data.tensor.shape"),
        ({"data": {}}, "data: expected 'ndarray', 'tensor' or 'tftensor'"),
        ({"strData": "hello"}, "strData"),
        ([1, 2], "body: expected a SeldonMessage"),
        ({"jsonData": [{"a": 1.0, "b": 2.0}]}, "jsonData[0]: missing n"),
    ],
)
def test_seldon_errors_name_the_field(body: object, needle: str) -> None:
    err = errors(seldon.decode, body, SIG)
    assert err.status == 400 and needle in err.message


def test_nulls_are_missing_values_not_errors() -> None:
    batch, _ = seldon.decode({"data": {"ndarray": [[None, 2.0, 3]]}}, SIG)
    assert np.isnan(batch.matrix[0, 0]) and batch.matrix[0, 2] == 3


def test_seldon_encode_keeps_form_and_meta() -> None:
    pred = Predictions(np.array([1, 0]), np.array([[0.2, 0.8], [0.9, 0.1]]), (0, 1))
    meta = seldon.response_meta({"meta": {"tags": {"x": 1}}}, "rid", "m", "3", "champion")
    out = seldon.encode(pred, "ndarray", meta)
    assert out["data"]["names"] == ["label", "proba_0", "proba_1"]
    assert out["data"]["ndarray"] == [[1, 0.2, 0.8], [0, 0.9, 0.1]]
    assert out["meta"]["puid"] == "rid" and out["meta"]["tags"]["x"] == 1
    given = {"meta": {"puid": "abc-1", "routing": {"router": 0}}}
    kept = seldon.response_meta(given, "rid", "m", "3", "champion")
    assert kept["puid"] == "abc-1" and kept["routing"] == {"router": 0}  # as Seldon echoes them
    assert out["meta"]["tags"]["model_alias"] == "champion"
    tensor = seldon.encode(pred, "tensor", meta)["data"]["tensor"]
    assert tensor == {"shape": [2, 3], "values": [1, 0.2, 0.8, 0, 0.9, 0.1]}
    assert seldon.error(400, "bad")["status"]["status"] == "FAILURE"


def test_v2_one_tensor_or_one_input_per_column() -> None:
    flat = [v for r in ROWS for v in r]
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64", "data": flat}]}
    batch, wanted = v2.decode(body, SIG)
    np.testing.assert_array_equal(batch.matrix, np.array(ROWS))
    assert wanted is None
    cols = [
        {"name": "b", "shape": [2, 1], "datatype": "FP64", "data": [2.5, 5.5]},
        {"name": "a", "shape": [2], "datatype": "FP64", "data": [1.0, 4.0]},
        {"name": "n", "shape": [2], "datatype": "INT64", "data": [3, 6]},
    ]
    batch, _ = v2.decode({"inputs": cols, "outputs": [{"name": "proba"}]}, SIG)
    np.testing.assert_array_equal(batch.matrix, np.array(ROWS))


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"inputs": []}, "inputs: expected a non-empty list"),
        (
            {"inputs": [{"name": "x", "shape": [2**32, 2**32], "datatype": "FP64", "data": []}]},
            "needs 18446744073709551616",
        ),
        (
            {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64", "data": [1.0]}]},
            "inputs[0] ('x').data: shape [2, 3] needs 6",
        ),
        (
            {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1.0, 2.0]}]},
            "inputs[0] ('x').shape: expected [rows, 3]",
        ),
        (
            {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "NOPE", "data": [1, 2, 3]}]},
            "inputs[0] ('x').datatype",
        ),
        (
            {"inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": ["q"]}]},
            "inputs[0] ('a').datatype: BYTES does not fit",
        ),
        (
            {"inputs": [{"name": "zz", "shape": [1], "datatype": "FP64", "data": [1.0]}]},
            "inputs[0] ('zz').name: unknown column",
        ),
        (
            {"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]}]},
            "inputs: missing column(s) b, n",
        ),
        (
            {
                "inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}],
                "outputs": [{"name": "q"}],
            },
            "outputs: unknown output(s) q",
        ),
    ],
)
def test_v2_errors_name_the_field(body: object, needle: str) -> None:
    err = errors(v2.decode, body, SIG)
    assert err.status == 400 and needle in err.message, err.message


def test_v2_encode_shapes_and_datatypes() -> None:
    pred = Predictions(np.array([1, 0]), np.array([[0.2, 0.8], [0.9, 0.1]]), (0, 1))
    out = v2.encode(pred, None, model="m", version="1", request_id="r")
    label, proba = out["outputs"]
    assert label["datatype"] == "INT64" and label["shape"] == [2]
    assert proba["shape"] == [2, 2] and list(proba["data"]) == [0.2, 0.8, 0.9, 0.1]
    only = v2.encode(pred, ["proba"], model="m", version="1", request_id="r")
    assert [o["name"] for o in only["outputs"]] == ["proba"]
    meta = v2.model_metadata(SIG, name="m", version="1", classes=(0, 1))
    assert [i["datatype"] for i in meta["inputs"]] == ["FP64", "FP64", "INT64"]


def test_scoring_every_input_format() -> None:
    records = [dict(zip("abn", r, strict=True)) for r in ROWS]
    columns = {"a": [1.0, 4.0], "b": [2.5, 5.5], "n": [3, 6]}
    bodies = [
        {"dataframe_split": {"columns": ["a", "b", "n"], "data": ROWS}},
        {"dataframe_split": {"columns": ["n", "b", "a"], "data": [r[::-1] for r in ROWS]}},
        {"dataframe_records": records},
        {"instances": ROWS},
        {"instances": records},
        {"inputs": ROWS},
        {"inputs": columns},
    ]
    for body in bodies:
        batch, method = scoring.decode(body, SIG)
        assert method == "predict"
        np.testing.assert_array_equal(batch.matrix, np.array(ROWS))
    _, method = scoring.decode({"inputs": ROWS, "params": {"predict_method": "predict_proba"}}, SIG)
    assert method == "predict_proba"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "exactly one of dataframe_split"),
        ({"inputs": ROWS, "instances": ROWS}, "got instances, inputs"),
        (
            {"dataframe_split": {"columns": ["a", "b"], "data": ROWS}},
            "dataframe_split.columns: missing column(s) n",
        ),
        (
            {"dataframe_records": [{"a": 1.0, "b": 2.0, "n": 1, "q": 2}]},
            "dataframe_records[0]: unknown q",
        ),
        (
            {"inputs": {"a": [1.0], "b": [2.0, 3.0], "n": [1]}},
            "inputs: every column must be a list",
        ),
        ({"inputs": ROWS, "params": {"predict_method": "explain"}}, "params.predict_method"),
    ],
)
def test_scoring_errors_name_the_field(body: object, needle: str) -> None:
    err = errors(scoring.decode, body, SIG)
    assert needle in err.message, err.message


def test_signature_from_mlflow_forms() -> None:
    cols = [{"type": "double", "name": "a"}, {"type": "long", "name": "n"}]
    assert signature_from_dict({"inputs": json.dumps(cols)}) == Signature(
        (Column("a"), Column("n", "long"))
    )
    assert signature_from_dict({"inputs": cols}) == Signature((Column("a"), Column("n", "long")))
    assert signature_from_dict({"inputs": '[{"type": "tensor"}]'}) is None
    text = "signature:\n  inputs: '" + json.dumps(cols) + "'\n"
    sig = signature_from_mlmodel(text)
    assert sig is not None and sig.names == ("a", "n")
