"""A small tracking store shared by the widget and query tests (built once per module).

Two experiments: "wb-a" with 24 runs (params C, penalty, seed; metrics acc, log_loss with a
three-step history, f1 on some runs only), and "wb-b" with 3 runs. One run of wb-a is behind
the `champion` alias of the registered model "clf"; two runs carry a cell-source tag and a
dataset input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CELL_TAG = "workbench.cell_source"


@dataclass
class Store:
    root: Path
    experiment_ids: dict[str, str]
    runs: dict[str, str] = field(default_factory=dict)  # run name -> id
    champion: str = ""


def log_run(client, experiment_id: str, name: str, params: dict, history: dict, tags=None) -> str:
    from mlflow.entities import Metric, Param

    run = client.create_run(experiment_id, run_name=name, tags=tags or {})
    metrics = [
        Metric(key, value, 1_700_000_000_000 + step, step)
        for key, values in history.items()
        for step, value in enumerate(values)
    ]
    params_ = [Param(k, str(v)) for k, v in params.items()]
    client.log_batch(run.info.run_id, metrics=metrics, params=params_)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def populate(root: Path) -> Store:
    import mlflow
    from mlflow import MlflowClient

    from workbench.tracking.config import configure
    from workbench.tracking.tuning_runs import get_or_create_experiment

    configure()
    client = MlflowClient()
    # created without making them active: the fluent API's global state stays untouched
    ids = {name: get_or_create_experiment(name) for name in ("wb-a", "wb-b")}
    store = Store(root, ids)
    for i in range(24):
        c = [0.01, 0.1, 1.0, 10.0][i % 4]
        acc = [0.70 + 0.01 * i, 0.60 + 0.01 * i, 0.75 + 0.01 * i]  # best is not the last
        history = {"acc": acc, "log_loss": [0.9 - 0.01 * i, 0.5 - 0.01 * i, 0.6 - 0.01 * i]}
        if i % 3 == 0:
            history["f1"] = [0.5 + 0.01 * i]
        store.runs[f"a{i:02d}"] = log_run(
            client,
            ids["wb-a"],
            f"a{i:02d}",
            {"C": c, "penalty": "l2" if i % 2 else "l1", "seed": 7},
            history,
        )
    for i in range(3):
        store.runs[f"b{i}"] = log_run(
            client,
            ids["wb-b"],
            f"b{i}",
            {"C": 1.0, "penalty": "l2", "depth": i},
            {"acc": [0.5 + 0.1 * i]},
        )
    # cell source and a dataset on two runs, for the diff view
    # where workbench.tracking keeps the executing cell: an artifact per cell
    for name, source in (("a01", "C = 0.1\nclf.fit(X, y)\n"), ("a02", "C = 1.0\nclf.fit(X, y)\n")):
        client.log_text(store.runs[name], source, "workbench/cells/cell_3.py")
    client.set_tag(store.runs["b1"], CELL_TAG, "old = True\nclf.fit(X, y)\n")  # older runs: a tag
    import pandas as pd
    from mlflow.entities import DatasetInput, InputTag

    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), name="train")
    context = InputTag("mlflow.data.context", "training")
    client.log_inputs(
        store.runs["a01"], datasets=[DatasetInput(dataset._to_mlflow_entity(), [context])]
    )
    client.create_registered_model("clf")
    version = client.create_model_version(
        "clf", source=f"runs:/{store.runs['a05']}/model", run_id=store.runs["a05"]
    )
    client.set_registered_model_alias("clf", "champion", version.version)
    store.champion = store.runs["a05"]
    return store
