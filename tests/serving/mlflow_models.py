"""Models logged with plain MLflow (no workbench code), for the serving tests and the benchmark.

Another domain than the example model (scikit-learn's wine data, 13 double columns plus a long
column for the pyfunc model), written the way MLflow users write them:
- `plain`: `mlflow.sklearn.log_model` with defaults (MLflow 3: skops) of a scaler+LR pipeline;
- `forest`: a RandomForest in skops, with the `skops_trusted_types` it needs recorded;
- `pickled` / `cloudpickled`: the same pipeline with `serialization_format` pickle, cloudpickle;
- `custom`: a custom `mlflow.pyfunc.PythonModel` logged as code (MLflow 3's models from code).
All but `plain` pass pip_requirements, which skips MLflow's (slow) requirement inference.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from serving_helpers import free_port

from tests.project_helpers import terminate

PLAIN, FOREST, PICKLED, CLOUDPICKLED, CUSTOM = (
    "wine",
    "wine-forest",
    "wine-pickle",
    "wine-cloudpickle",
    "wine-custom",
)
CUSTOM_CODE = '''
import mlflow
import numpy as np


class Blend(mlflow.pyfunc.PythonModel):
    """Not a scikit-learn model: a weighted sum of two columns, per row."""

    def predict(self, context, model_input, params=None):
        return np.asarray(model_input["alcohol"] * 2.0 + model_input["batch"], dtype=float)


mlflow.models.set_model(Blend())
'''


@cache
def wine() -> tuple[Any, Any]:
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    return bunch.data, bunch.target


def wine_rows(n: int) -> list[list[float]]:
    x, _ = wine()
    return x.head(n).to_numpy(dtype=float).tolist()


@dataclass(frozen=True)
class Logged:
    name: str
    version: str
    run_id: str


def log_plain_models(root: Path) -> dict[str, Logged]:
    """Log and register every model above with plain mlflow calls, into the project at `root`."""
    import warnings

    import mlflow

    with warnings.catch_warnings():
        # importing mlflow.pyfunc infers its agent schemas and warns about an `Any` type hint
        # there (mlflow/types/responses.py, not ours); the suite's "error" filter would fail
        # whichever test imports it first
        warnings.filterwarnings("ignore", ".*Any type hint is inferred as AnyType", UserWarning)
        import mlflow.pyfunc
    import mlflow.sklearn
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    mlflow.set_experiment("plain-mlflow")
    x, y = wine()
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
    out: dict[str, Logged] = {}

    def log(name: str, fn: Any, **kw: Any) -> None:
        with mlflow.start_run() as run:
            info = fn(name="model", registered_model_name=name, **kw)
        out[name] = Logged(name, str(info.registered_model_version), run.info.run_id)

    fast = {"pip_requirements": ["scikit-learn"], "input_example": x.head(3)}
    log(PLAIN, mlflow.sklearn.log_model, sk_model=pipe, input_example=x.head(3))
    log(
        FOREST,
        mlflow.sklearn.log_model,
        sk_model=forest,
        skops_trusted_types=["sklearn.tree._tree.Tree"],
        **fast,
    )
    log(PICKLED, mlflow.sklearn.log_model, sk_model=pipe, serialization_format="pickle", **fast)
    log(
        CLOUDPICKLED,
        mlflow.sklearn.log_model,
        sk_model=pipe,
        serialization_format="cloudpickle",
        **fast,
    )
    code = root / "blend_model.py"
    code.write_text(textwrap.dedent(CUSTOM_CODE))
    example = x[["alcohol"]].head(3).assign(batch=[1, 2, 3])
    log(
        CUSTOM,
        mlflow.pyfunc.log_model,
        python_model=str(code),
        input_example=example,
        pip_requirements=["numpy"],
    )
    return out


# --- the reference: `mlflow models serve` on the same registry -------------------------------
def mlflow_serve(root: Path, uri: str) -> Iterator[str]:
    """`mlflow models serve URI --env-manager local` on a free port; yields its URL, then stops it."""
    port = free_port()
    log = open(root / f"mlflow-serve-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", uri, "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=root, stdout=log, stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "MLFLOW_TRACKING_URI": f"sqlite:///{root}/mlflow.db",
            # mlflow execs `uvicorn` by name: the venv's bin first
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/ping", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((root / f"mlflow-serve-{port}.log").read_text()) from None
                time.sleep(0.2)
        yield url
    finally:
        terminate(proc, 30)
        log.close()
