"""Tracking cost per run: workbench's API vs MLflow's fluent API vs one hand-written log_batch.

    python benchmarks/tracking.py            # 200 runs each (issue 2's acceptance numbers)
    python benchmarks/tracking.py --runs 3   # a quick check

Each run logs 10 params, 5 metrics x 20 steps and one small artifact. Every way writes to its
own fresh SQLite store in a temp folder. The three ways take turns in blocks of runs, so a burst
of load on a shared machine hits all of them alike. Store creation and imports are not timed.
Targets (issue 2): workbench <= 0.15x the fluent API and <= 1.3x the hand-written log_batch.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

N_PARAMS, N_METRICS, N_STEPS = 10, 5, 20
BLOCK = 10  # runs per turn
TARGET_VS_FLUENT, TARGET_VS_BATCH = 0.15, 1.3


def _values(i: int) -> tuple[dict[str, str], list[tuple[str, float, int]]]:
    params = {f"param_{k}": f"value_{i}_{k}" for k in range(N_PARAMS)}
    metrics = [
        (f"metric_{m}", (i + m) / (step + 1), step)
        for step in range(N_STEPS)
        for m in range(N_METRICS)
    ]
    return params, metrics


class Way:
    """One way of logging, with its own store; `activate` points MLflow at that store."""

    def __init__(
        self, name: str, root: Path, run: Callable[[int, Path], None], template: Path
    ) -> None:
        import mlflow

        self.name, self.root, self.run_one = name, root, run
        root.mkdir(parents=True)
        shutil.copyfile(template, root / "mlflow.db")  # an empty store, schema already migrated
        (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
        self.artifact = root / "note.txt"
        self.artifact.write_text("a small artifact\n")
        self.uri = f"sqlite:///{root / 'mlflow.db'}"
        self.activate()
        client = mlflow.MlflowClient()
        self.experiment_id = client.create_experiment(
            "bench", artifact_location=(root / "artifacts").as_uri()
        )
        self.seconds = 0.0
        self.runs = 0

    def activate(self) -> None:
        import mlflow

        os.environ["WORKBENCH_PROJECT"] = str(self.root)
        os.environ["MLFLOW_TRACKING_URI"] = self.uri
        mlflow.set_tracking_uri(self.uri)
        if hasattr(self, "experiment_id"):
            mlflow.set_experiment(experiment_id=self.experiment_id)

    def block(self, start: int, count: int) -> None:
        self.activate()
        began = time.perf_counter()
        for i in range(start, start + count):
            self.run_one(i, self.artifact)
        self.seconds += time.perf_counter() - began
        self.runs += count


def run_workbench(i: int, artifact: Path) -> None:
    import workbench.tracking as wbt

    params, metrics = _values(i)
    with wbt.start_run(run_name=f"run-{i}") as run:
        run.log_params(params)
        for key, value, step in metrics:
            run.log_metric(key, value, step=step)
        run.log_artifact(artifact)


def run_fluent(i: int, artifact: Path) -> None:
    import mlflow

    params, metrics = _values(i)
    with mlflow.start_run(run_name=f"run-{i}"):
        for key, text in params.items():
            mlflow.log_param(key, text)
        for key, value, step in metrics:
            mlflow.log_metric(key, value, step=step)
        mlflow.log_artifact(str(artifact))


def run_log_batch(i: int, artifact: Path) -> None:
    import mlflow
    from mlflow.entities import Metric, Param

    params, metrics = _values(i)
    client = mlflow.MlflowClient()
    experiment_id = mlflow.tracking.fluent._get_experiment_id()
    run_id = client.create_run(experiment_id, run_name=f"run-{i}").info.run_id
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(key, value, now, step) for key, value, step in metrics],
        params=[Param(key, text) for key, text in params.items()],
    )
    client.log_artifact(run_id, str(artifact))
    client.set_terminated(run_id)


def check(root: Path, runs: int) -> None:
    """Every way stored everything: a benchmark of lost values would be meaningless."""
    import mlflow

    for name in ("workbench", "fluent", "log_batch"):
        client = mlflow.MlflowClient(f"sqlite:///{root / name / 'mlflow.db'}")
        found = client.search_runs([client.get_experiment_by_name("bench").experiment_id])
        assert len(found) == runs, f"{name}: {len(found)} runs stored, expected {runs}"
        run = found[0]
        assert len(run.data.params) == N_PARAMS and len(run.data.metrics) == N_METRICS, name
        history = client.get_metric_history(run.info.run_id, "metric_0")
        assert len(history) == N_STEPS, f"{name}: {len(history)} steps stored"
        assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["note.txt"], name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per way (default 200)")
    args = parser.parse_args(argv)
    import mlflow  # configures its loggers on import: quiet them afterwards

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    for var in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        os.environ.pop(var, None)
    with tempfile.TemporaryDirectory(prefix="wb-bench-tracking-") as tmp:
        root = Path(tmp)
        template = root / "template.db"
        mlflow.MlflowClient(f"sqlite:///{template}").search_experiments()  # runs the migrations
        ways = [
            Way("workbench", root / "workbench", run_workbench, template),
            Way("fluent", root / "fluent", run_fluent, template),
            Way("log_batch", root / "log_batch", run_log_batch, template),
        ]
        for way in ways:  # warm-up: first-use imports and caches, not timed
            way.activate()
            way.run_one(-1, way.artifact)
        for start in range(0, args.runs, BLOCK):
            for way in ways:
                way.block(start, min(BLOCK, args.runs - start))
        check(root, args.runs + 1)
        ms = {way.name: 1000 * way.seconds / way.runs for way in ways}
    print(
        f"{args.runs} runs per way; each {N_PARAMS} params, {N_METRICS} metrics x {N_STEPS} "
        "steps, 1 artifact; SQLite store"
    )
    for name, value in ms.items():
        print(f"  {name:<10} {value:8.1f} ms/run")
    vs_fluent = ms["workbench"] / ms["fluent"]
    vs_batch = ms["workbench"] / ms["log_batch"]
    print(f"  workbench / fluent    = {vs_fluent:.3f}x  (target <= {TARGET_VS_FLUENT}x)")
    print(f"  workbench / log_batch = {vs_batch:.3f}x  (target <= {TARGET_VS_BATCH}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
