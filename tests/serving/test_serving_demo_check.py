"""`python -m workbench.demo.serve_check MODEL`: serves, asks over Seldon and V2, always stops.

The model is the example notebook's pipeline fitted on the notebook's own features (the demo
data through `relabel` + `add_features` from steps/train/_helpers.py), registered in the temp
project of the `registered_project` fixture as models:/bc-demo@champion.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from serving_helpers import NAME, REPO, Registered, free_port

from workbench.demo import write_demo_data

DEMO = "bc-demo"


@pytest.fixture(scope="module")
def demo_model(registered_project: Registered) -> Any:
    import mlflow
    import pandas as pd
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler

    import workbench.tracking as wbt
    from steps.train._helpers import TARGET, add_features, relabel

    path = write_demo_data(registered_project.root / "data")
    df = add_features(relabel(pd.read_csv(path)))
    x, y = df.drop(columns=[TARGET]), df[TARGET]
    pre = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    model = Pipeline([("preprocess", pre), ("classifier", LogisticRegression(max_iter=1000))])
    model.fit(x, y)
    with wbt.start_run(run_name="demo") as run:
        info = run.log_model(model, input_example=x.head(5), register=DEMO)
    mlflow.MlflowClient().set_registered_model_alias(DEMO, "champion", str(info.version))
    return model, x.dropna().head(2)


def serve_check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench.demo.serve_check", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )


def answer(stdout: str, prefix: str) -> tuple[int, Any]:
    line = next(ln for ln in stdout.splitlines() if ln.startswith(prefix))
    status, body = line.split(" -> ", 1)[1].split(" ", 1)
    return int(status), json.loads(body)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_serve_check_answers_over_seldon_and_v2_and_stops(
    registered_project: Registered, demo_model: Any
) -> None:
    model, rows = demo_model
    port = free_port()
    done = serve_check(registered_project.root, f"models:/{DEMO}@champion", "--port", str(port))
    assert done.returncode == 0, done.stderr
    expected = model.predict(rows).tolist()
    status, seldon = answer(done.stdout, "seldon POST /api/v1.0/predictions")
    assert status == 200 and [r[0] for r in seldon["data"]["ndarray"]] == expected
    assert seldon["meta"]["tags"]["model_alias"] == "champion"
    status, v2 = answer(done.stdout, f"v2 POST /v2/models/{DEMO}/infer")
    assert status == 200 and v2["outputs"][0]["data"] == expected
    assert f"on http://127.0.0.1:{port}: ready in" in done.stdout
    assert "server stopped" in done.stdout and port_is_free(port)


@pytest.mark.slow
def test_a_failing_request_is_a_clear_error_and_the_server_is_still_stopped(
    registered_project: Registered, demo_model: Any
) -> None:
    # the fixture's other model was fitted on scikit-learn's column names: the rows do not fit
    port = free_port()
    done = serve_check(registered_project.root, f"models:/{NAME}@champion", "--port", str(port))
    assert done.returncode == 1
    assert "-> 400" in done.stdout and "server stopped" in done.stdout
    assert "error: serve_check" in done.stderr and "answered 400" in done.stderr
    assert "Traceback" not in done.stderr and port_is_free(port)


def test_a_server_that_cannot_start_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    write_demo_data(tmp_path / "data")
    done = serve_check(tmp_path, str(tmp_path / "no-such-model"), "--ready-timeout", "30")
    assert done.returncode == 1
    assert "exited with status" in done.stderr and "no such model-store folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_demo_data_is_named_before_any_server_starts(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    done = serve_check(tmp_path, "models:/m@champion")
    assert done.returncode == 1
    assert "breast_cancer.csv: no demo data" in done.stderr and "workbench demo-data" in done.stderr
    assert "server" not in done.stdout
