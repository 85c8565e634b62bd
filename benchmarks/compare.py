"""Comparison widget vs MLflow's own search over 5,000 runs (10 params, 5 metrics), one run.

    PYTHONPATH=. .venv/bin/python benchmarks/compare.py [--runs 5000]

Builds a fresh project with a SQLite tracking store (rows bulk-inserted through workbench's
batched trial writer, whose rows tests/tuning/test_trial_log.py checks against MLflow's client),
then times, warm and side by side:
  first page:  MlflowClient.search_runs(order_by metric, max_results=100)
               vs workbench.compare(max_runs=100), the whole widget with its table and charts;
  full table:  mlflow.search_runs(all runs) into a DataFrame
               vs workbench.compare(max_runs=all);
  refresh:     10 new runs logged through MlflowClient, then the widget's Refresh
               vs a full mlflow.search_runs;
and, each in a fresh process (interpreter start to result, wall clock, median of --repeat):
  fresh first table: `workbench.compare` over all runs (the table built)
               vs `mlflow.search_runs` of the top 100 by the metric.
Targets (issue 6): first page <= 1.0x, full table <= 1.0x, refresh <= 0.1x;
(issue 18): fresh first table <= 0.5x.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PARAMS = [f"p{i}" for i in range(10)]
METRICS = ["accuracy", "f1", "roc_auc", "log_loss", "latency_ms"]


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def make_store(root: Path, n_runs: int) -> str:
    from mlflow import get_tracking_uri

    from workbench.tracking.config import configure
    from workbench.tracking.tuning_log import TrialRun, open_trial_writer

    experiment_id = configure("bench")
    assert experiment_id is not None
    writer = open_trial_writer(get_tracking_uri())
    rng = random.Random(5)
    now = int(time.time() * 1000) - 3_600_000
    batch = []
    for i in range(n_runs):
        params = {
            p: str(rng.choice([0.001, 0.01, 0.1, 1, 10]) if j % 2 else rng.randint(1, 50))
            for j, p in enumerate(PARAMS)
        }
        metrics = [(m, rng.random(), 0, now + i) for m in METRICS]
        metrics += [("accuracy", rng.random(), s, now + i) for s in (1, 2)]  # a short history
        batch.append(TrialRun(f"run-{i}", now + i, now + i + 50, "FINISHED", params, {}, metrics))
        if len(batch) == 500:
            writer.write(experiment_id, None, batch)
            batch = []
    writer.write(experiment_id, None, batch)
    return experiment_id


FRESH_WORKBENCH = """
import workbench
view = workbench.compare("bench", metric="roc_auc", max_runs={runs})
assert "<table" in view.table.value and len(view.state.records) == {runs}
"""
FRESH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri({uri!r})
frame = mlflow.search_runs(["{experiment}"], order_by=["metrics.roc_auc DESC"], max_results=100)
assert len(frame) == 100
"""


def fresh_process(code: str, repeat: int) -> float:
    """Median wall-clock seconds of `python -c code` from start to exit, as a new kernel."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, timeout=600)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="wb-bench-compare-"))
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    os.chdir(root)
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "WORKBENCH_PROJECT"):
        os.environ.pop(var, None)

    import mlflow
    from mlflow import MlflowClient

    import workbench

    start = time.perf_counter()
    experiment_id = make_store(root, args.runs)
    print(
        f"store: {args.runs} runs x ({len(PARAMS)} params, {len(METRICS)} metrics) "
        f"in {time.perf_counter() - start:.1f} s at {root}"
    )
    client = MlflowClient()
    # warm both sides: imports, engines, the FigureWidget class
    client.search_runs([experiment_id], max_results=10)
    workbench.compare("bench", metric="roc_auc", max_runs=10)

    r = args.repeat
    mlflow_top, _ = best_of(
        lambda: client.search_runs(
            [experiment_id], order_by=["metrics.roc_auc DESC"], max_results=100
        ),
        r,
    )
    wb_top, view = best_of(lambda: workbench.compare("bench", metric="roc_auc", max_runs=100), r)
    assert "<table" in view.table.value and len(view.state.records) == 100

    mlflow_all, frame = best_of(lambda: mlflow.search_runs([experiment_id], max_results=100_000), r)
    assert len(frame) == args.runs
    wb_all, full = best_of(
        lambda: workbench.compare("bench", metric="roc_auc", max_runs=args.runs + 100), r
    )
    assert len(full.state.records) == args.runs

    def add_and_refresh() -> int:
        for i in range(10):
            run = client.create_run(experiment_id, run_name=f"new-{time.time_ns()}-{i}")
            client.log_metric(run.info.run_id, "roc_auc", random.random())
            client.set_terminated(run.info.run_id)
        start = time.perf_counter()
        full.refresh_button.click()
        refresh_times.append(time.perf_counter() - start)
        return len(full.state.records)

    refresh_times: list[float] = []
    before = len(full.state.records)
    for _ in range(r):
        add_and_refresh()
    wb_refresh = statistics.median(refresh_times)
    assert len(full.state.records) == before + 10 * r, "refresh missed new runs"
    mlflow_full_again, _ = best_of(
        lambda: mlflow.search_runs([experiment_id], max_results=100_000), r
    )

    uri = mlflow.get_tracking_uri()
    total = len(full.state.records)
    fresh_mlflow = fresh_process(FRESH_MLFLOW.format(uri=uri, experiment=experiment_id), r)
    fresh_wb = fresh_process(FRESH_WORKBENCH.format(runs=total), r)

    rows = [
        (f"fresh: first table ({total})", fresh_mlflow, fresh_wb, 0.5),
        ("first sorted page (100)", mlflow_top, wb_top, 1.0),
        ("full table (all runs)", mlflow_all, wb_all, 1.0),
        ("refresh after 10 new runs", mlflow_full_again, wb_refresh, 0.1),
    ]
    print(f"\n{'':28} {'MLflow':>9} {'workbench':>10} {'ratio':>7} {'target':>7}")
    for name, theirs, ours, target in rows:
        ratio = ours / theirs
        verdict = "ok" if ratio <= target else "MISSED"
        print(f"{name:28} {theirs:8.3f}s {ours:9.3f}s {ratio:6.2f}x {target:6.1f}x  {verdict}")


if __name__ == "__main__":
    main()
