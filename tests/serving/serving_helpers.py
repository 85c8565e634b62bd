"""Helpers for the serving tests: the example model, in the model store and in the registry.

`register_model` goes through `workbench.tracking` (log_model(..., register=NAME)), which logs
with cloudpickle, registers the version, writes the model-store file and tags the version with
its sha256 and store URI. `write_store_model` writes a store folder alone, with the MLflow-style
signature in model.json (the optional "signature" key the server reads first).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

with warnings.catch_warnings():
    # starlette asks for httpx2, which is not installed here; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from workbench.models.store import write_model_file

__all__ = ["TestClient"]

REPO = Path(__file__).resolve().parents[2]
NAME = "breast-cancer"


@cache
def training_frame() -> tuple[Any, Any]:
    """The breast-cancer data as a DataFrame with snake_case float columns, like the notebook's."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.rename(columns=lambda c: c.replace(" ", "_"))
    return frame, bunch.target


@cache
def example_model() -> Any:
    """The notebook's model: Pipeline(SimpleImputer+StandardScaler, LogisticRegression)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = training_frame()
    pre = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    return Pipeline([("preprocess", pre), ("classifier", LogisticRegression(max_iter=1000))]).fit(
        x, y
    )


def mlflow_signature(columns: list[str]) -> dict[str, Any]:
    """What MLflow's ModelSignature.to_dict() gives for a frame of double columns."""
    cols = [{"type": "double", "name": c, "required": True} for c in columns]
    out = [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]
    return {"inputs": json.dumps(cols), "outputs": json.dumps(out), "params": None}


def write_store_model(store: Path, model: Any, version: int = 1, name: str = NAME) -> Path:
    x, _ = training_frame()
    path, _ = write_model_file(
        model, str(store), name, version, extra={"signature": mlflow_signature(list(x.columns))}
    )
    return Path(path).parent


def rows(n: int, start: int = 0) -> list[list[float]]:
    x, _ = training_frame()
    return np.asarray(x.iloc[start : start + n], dtype=float).tolist()


def columns() -> list[str]:
    return list(training_frame()[0].columns)


@dataclass(frozen=True)
class Registered:
    root: Path
    name: str
    version: str
    store_folder: Path
    run_id: str


def register_model(
    root: Path, model: Any, name: str = NAME, alias: str = "champion", store_file: bool = True
) -> Registered:
    """Log and register through workbench.tracking (model-store file, sha256 and store tags)."""
    import mlflow

    import workbench.tracking as wbt

    x, _ = training_frame()
    wbt.set_experiment("serving-tests")
    with wbt.start_run(run_name="train") as run:
        info = run.log_model(model, input_example=x.head(5), register=name)
    assert info.version is not None and info.store_path is not None
    version = str(info.version)
    if alias:
        mlflow.MlflowClient().set_registered_model_alias(name, alias, version)
    if not store_file:
        os.remove(info.store_path)
    return Registered(root, name, version, Path(info.store_path).parent, info.run_id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(
    model: str, cwd: Path, *extra: str, timeout: float = 30.0, env: dict[str, str] | None = None
) -> ServerProcess:
    """`python -m workbench serve MODEL` on a free 127.0.0.1 port; waits for /v2/health/ready."""
    port = free_port()
    log_path = cwd / f"server-{port}.log"
    # the server finds its store from `cwd` (or `env`), never from a tracking variable another
    # test left in this process's environment
    from tests.project_helpers import ISOLATED_ENV

    inherited = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    full_env = {**inherited, "PYTHONPATH": str(REPO), **(env or {})}
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", "serve", model, "--port", str(port), *extra],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/v2/health/ready", timeout=1).close()
            return ServerProcess(proc, url, log_path)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"server did not start:\n{log_path.read_text()}") from None
            time.sleep(0.05)


def stop_server(server: ServerProcess) -> int:
    server.proc.terminate()
    try:
        return server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        return server.proc.wait()
