"""Hostile input, one regression test per finding of issue 12's outside probe, in process.

(The over-the-wire ones, RSS, /health/ping during a 50 MB body and slow clients, are in
test_serving_hostile_process.py.)
"""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pytest
from serving_helpers import NAME, TestClient, columns, example_model, rows, write_store_model

from workbench.serving.codecs import ProtocolError, scoring, seldon, v2
from workbench.serving.codecs.common import rows_to_batch
from workbench.serving.loader import resolve_source
from workbench.serving.server import build_app
from workbench.serving.signature import Column, Signature


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = write_store_model(tmp_path_factory.mktemp("store"), example_model())
    app = build_app(resolve_source(str(folder), trust_unverified=True), 8 << 20, False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def nested(depth: int) -> bytes:
    """JSON text of objects nested `depth` deep (orjson itself will not write past 255)."""
    return b'{"a":' * depth + b'"x"' + b"}" * depth


@pytest.mark.parametrize("depth", [17, 255, 300, 1000])
def test_deep_seldon_meta_is_a_4xx_not_orjsons_500(client: TestClient, depth: int) -> None:
    body = b'{"data": {"ndarray": ' + orjson.dumps(rows(1)) + b'}, "meta": ' + nested(depth) + b"}"
    r = client.post("/api/v1.0/predictions", content=body)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["status"]["reason"] == "MICROSERVICE_BAD_DATA"


def test_large_meta_is_refused_and_small_meta_is_echoed(client: TestClient) -> None:
    big = {"tags": {f"k{i}": "v" * 100 for i in range(2000)}}
    r = client.post("/api/v1.0/predictions", json={"data": {"ndarray": rows(1)}, "meta": big})
    assert r.status_code == 400 and "meta" in r.text
    ok = {"tags": {"team": "a"}, "routing": {"x": [1, 2, {"y": None}]}}
    r = client.post("/api/v1.0/predictions", json={"data": {"ndarray": rows(1)}, "meta": ok})
    assert r.status_code == 200 and r.json()["meta"]["routing"] == ok["routing"]


def test_v2_id_is_bounded(client: TestClient) -> None:
    one = {"name": "x", "shape": [1, 30], "datatype": "FP64", "data": rows(1)}
    r = client.post(f"/v2/models/{NAME}/infer", json={"id": "i" * 10_000, "inputs": [one]})
    assert r.status_code == 400 and "id" in r.text


def peak_mib(fn: Any) -> float:
    tracemalloc.start()
    with contextlib.suppress(ProtocolError):
        fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


@pytest.mark.parametrize(("n_rows", "text"), [(1000, 100_000), (80_000, 1_000_000)])
def test_a_string_in_a_numeric_column_builds_no_unicode_array(n_rows: int, text: int) -> None:
    """The probe's 116 KB body grew to 1.6 GB (and a 2.6 MB one asked for 1.16 TiB): numpy,
    left to guess, made a fixed-width string array as wide as the longest string."""
    sig = Signature(tuple(Column(f"c{j}") for j in range(3)))
    data: list[list[Any]] = [[1.0, 2.0, 3.0] for _ in range(n_rows)]
    data[-1][1] = "x" * text
    with pytest.raises(ProtocolError, match=r"\[1\] \(column 'c1'\): expected double, got str"):
        rows_to_batch(data, "data.ndarray", sig)
    assert peak_mib(lambda: rows_to_batch(data, "data.ndarray", sig)) < 16


def test_numeric_strings_are_not_numbers() -> None:
    sig = Signature((Column("a"), Column("b")))
    with pytest.raises(ProtocolError, match="expected double, got str"):
        rows_to_batch([[1.0, "2.5"]], "inputs", sig)
    assert rows_to_batch([[1, None], [True, 2.5]], "inputs", sig).matrix.dtype == np.float64


V2SIG = Signature((Column("a"), Column("n", "long")))


def v2_body(datatype: str, data: list[Any], shape: list[int] | None = None) -> dict[str, Any]:
    return {
        "inputs": [
            {"name": "a", "shape": [len(data)], "datatype": "FP64", "data": [1.0] * len(data)},
            {"name": "n", "shape": shape or [len(data)], "datatype": datatype, "data": data},
        ]
    }


@pytest.mark.parametrize(
    ("datatype", "data", "needle"),
    [
        ("INT64", [1, 1.5], "whole numbers"),
        ("UINT8", [-5], "0..255"),
        ("INT8", [300], "-128..127"),
        ("UINT64", [2**64], "0..18446744073709551615"),
        ("BOOL", [1], "BOOL cannot hold int"),
        ("INT32", ["3"], "INT32 cannot hold str"),
        ("INT64", [None], "INT64 cannot hold NoneType"),
        ("FP64", [[1.0]], "nested"),
    ],
)
def test_v2_datatypes_are_enforced(datatype: str, data: list[Any], needle: str) -> None:
    with pytest.raises(ProtocolError, match=needle):
        v2.decode(v2_body(datatype, data), V2SIG)


def test_v2_nested_data_must_match_its_shape() -> None:
    body = v2_body("INT64", [[1, 2], [3, 4]], shape=[4])
    with pytest.raises(ProtocolError, match="nested as"):
        v2.decode(body, V2SIG)
    ok = v2_body("INT64", [[1], [2]], shape=[2, 1])
    assert v2.decode(ok, V2SIG)[0].matrix[:, 1].tolist() == [1.0, 2.0]


OPTSIG = Signature((Column("a"), Column("b", "double", required=False), Column("c")))


def test_optional_signature_columns_may_be_left_out() -> None:
    want = [[1.0, np.nan, 3.0]]
    cases = [
        scoring.decode({"dataframe_records": [{"a": 1.0, "c": 3.0}]}, OPTSIG)[0],
        scoring.decode({"dataframe_split": {"columns": ["c", "a"], "data": [[3.0, 1.0]]}}, OPTSIG)[0],
        scoring.decode({"inputs": {"a": [1.0], "c": [3.0]}}, OPTSIG)[0],
        seldon.decode({"data": {"names": ["a", "c"], "ndarray": [[1.0, 3.0]]}}, OPTSIG)[0],
        v2.decode({"inputs": [
            {"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]},
            {"name": "c", "shape": [1], "datatype": "FP64", "data": [3.0]},
        ]}, OPTSIG)[0],
    ]  # fmt: skip
    for batch in cases:
        np.testing.assert_array_equal(batch.matrix, want)
    with pytest.raises(ProtocolError, match="missing c"):
        scoring.decode({"dataframe_records": [{"a": 1.0, "b": 2.0}]}, OPTSIG)
    with pytest.raises(ProtocolError, match=r"missing column\(s\) c"):
        seldon.decode({"data": {"names": ["a", "b"], "ndarray": [[1.0, 2.0]]}}, OPTSIG)


def test_mlflow_required_false_is_read_from_the_signature() -> None:
    from workbench.serving.signature import signature_from_dict

    cols = [{"name": "a", "type": "double"}, {"name": "b", "type": "long", "required": False}]
    sig = signature_from_dict({"inputs": orjson.dumps(cols).decode()})
    assert sig is not None and sig.required == frozenset({"a"})


def test_every_protocol_is_a_registered_route_module() -> None:
    from workbench.serving import protocols

    assert protocols.names() == ["mlflow", "seldon", "v2", "ops"]
    paths = {getattr(r, "path", "") for r in protocols.routes_for(_served())}
    assert {"/invocations", "/api/v1.0/predictions", "/v2/models/{name}/infer", "/metrics"} <= paths


def _served() -> Any:
    from workbench.serving.http import Served
    from workbench.serving.predictor import Predictor
    from workbench.serving.signature import signature_from_model

    model = example_model()
    sig = signature_from_model(model)
    assert sig is not None
    return Served(predictor=Predictor(model, sig), name=NAME, version="1")


def test_loader_and_registry_do_not_import_each_other() -> None:
    import ast
    from pathlib import Path

    import workbench.serving as pkg

    def imports(module: str) -> set[str]:
        tree = ast.parse((Path(pkg.__file__).parent / f"{module}.py").read_text())
        return {
            n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
        } | {
            f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
            for a in n.names
        }  # fmt: skip

    assert "workbench.serving.loader" not in imports("registry")
    assert all("loader" not in m for m in imports("registry"))
    assert columns()  # the example frame is there (keeps the helper import honest)
