"""log_model records the MLflow signature in model.json; serving a store path validates by it.

The model here is fitted on a frame whose first column is an integer ("long" in MLflow's
signature). The estimator alone only knows column names (all taken as doubles), so a 400 for a
fractional value in that column proves the server read the logged signature from model.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serving_helpers import Registered, TestClient, training_frame

from workbench.serving.loader import resolve_source
from workbench.serving.server import build_app


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer")
def test_store_path_validates_columns_and_types_from_the_logged_signature(
    registered_project: Registered,
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import workbench.tracking as wbt

    x, y = training_frame()
    frame = x.assign(mean_radius=x["mean_radius"].round().astype("int64"))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(frame, y)
    with wbt.start_run(run_name="int-column") as run:
        info = run.log_model(model, input_example=frame.head(5), register="bc-int")
    assert info.store_path is not None
    folder = Path(info.store_path).parent
    inputs = json.loads(json.loads((folder / "model.json").read_text())["signature"]["inputs"])
    assert inputs[0] == {"type": "long", "name": "mean_radius", "required": True}
    assert [c["name"] for c in inputs] == list(frame.columns)

    source = resolve_source(str(folder), trust_unverified=True)
    client = TestClient(build_app(source, 1 << 20, False))
    meta = client.get("/v2/models/bc-int").json()
    assert [i["datatype"] for i in meta["inputs"][:2]] == ["INT64", "FP64"]
    rows = frame.head(2).to_numpy(dtype=float).tolist()
    ok = client.post(
        "/invocations", json={"dataframe_split": {"columns": list(frame.columns), "data": rows}}
    )
    assert (
        ok.status_code == 200 and ok.json()["predictions"] == model.predict(frame.head(2)).tolist()
    )
    rows[1][0] = 14.5
    bad = client.post(
        "/invocations", json={"dataframe_split": {"columns": list(frame.columns), "data": rows}}
    )
    assert bad.status_code == 400 and "mean_radius" in bad.json()["message"]
    assert "long" in bad.json()["message"]
    wrong = client.post(
        "/invocations",
        json={"dataframe_split": {"columns": ["a", *frame.columns[1:]], "data": rows}},
    )
    assert wrong.status_code == 400 and "columns" in wrong.json()["message"]
