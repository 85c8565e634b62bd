"""Per-trial tracking overhead: plain Optuna vs optuna-integration's MLflowCallback vs workbench.

    PYTHONPATH=. .venv/bin/python benchmarks/tune.py [--trials 300]

One process, one fresh project with a SQLite MLflow store, a cheap objective, the same
sampler seed and in-memory Optuna storage for all three, so the differences are the tracking.
A second pair runs plain Optuna and workbench on the same Optuna RDB (SQLite) storage, the
workbench default. Target (issue 6): workbench's added overhead <= half the MLflowCallback's.
Needs `optuna-integration` (a test dependency).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def objective(trial) -> float:  # type: ignore[no-untyped-def]
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", 0, 10)
    return (x - 2) ** 2 + y


def timed(label: str, fn: Callable[[], object], trials: int) -> float:
    start = time.perf_counter()
    fn()
    per_trial = (time.perf_counter() - start) / trials * 1000
    print(f"  {label:44} {per_trial:7.2f} ms/trial")
    return per_trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    n = args.trials

    root = Path(tempfile.mkdtemp(prefix="wb-bench-tune-"))
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    os.chdir(root)
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "WORKBENCH_PROJECT"):
        os.environ.pop(var, None)

    import mlflow
    import optuna
    from optuna_integration.mlflow import MLflowCallback

    import workbench
    from workbench.tracking.config import configure

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    configure()
    uri = mlflow.get_tracking_uri()
    # warm-up: create MLflow's tables, import everything, on both paths
    workbench.tune(objective, n_trials=2, storage="memory", study_name="warm")
    optuna.create_study().optimize(
        objective, n_trials=2, callbacks=[MLflowCallback(tracking_uri=uri)]
    )

    def sampler() -> optuna.samplers.BaseSampler:
        return optuna.samplers.TPESampler(seed=1)

    print(f"{n} trials, in-memory Optuna storage, MLflow store {uri}")
    # plain and workbench alternate, best of `repeat`: the machine's noise is larger than
    # workbench's overhead; the slow MLflowCallback runs once
    plain = ours = plain_rdb = ours_rdb = float("inf")
    for i in range(args.repeat):
        plain = min(
            plain,
            timed(
                "plain Optuna (no tracking)",
                lambda: optuna.create_study(sampler=sampler()).optimize(objective, n_trials=n),
                n,
            ),
        )
        ours = min(
            ours,
            timed(
                "workbench.tune (parent run + nested trials)",
                lambda i=i: workbench.tune(
                    objective, n_trials=n, storage="memory", sampler=sampler(), study_name=f"m{i}"
                ),
                n,
            ),
        )
    mlflow.set_experiment("callback")
    callback = timed(
        "optuna-integration MLflowCallback",
        lambda: optuna.create_study(sampler=sampler()).optimize(
            objective, n_trials=n, callbacks=[MLflowCallback(tracking_uri=uri)]
        ),
        n,
    )
    print(f"\n{n} trials, Optuna RDB storage (SQLite file, workbench's default)")
    for i in range(args.repeat):
        plain_rdb = min(
            plain_rdb,
            timed(
                "plain Optuna (no tracking)",
                lambda i=i: optuna.create_study(
                    storage=f"sqlite:///{root / f'plain{i}.db'}", sampler=sampler()
                ).optimize(objective, n_trials=n),
                n,
            ),
        )
        ours_rdb = min(
            ours_rdb,
            timed(
                "workbench.tune",
                lambda i=i: workbench.tune(
                    objective,
                    n_trials=n,
                    storage=f"sqlite:///{root / f'wb{i}.db'}",
                    sampler=sampler(),
                    study_name=f"r{i}",
                ),
                n,
            ),
        )
    cb_over, wb_over = callback - plain, ours - plain
    print(
        f"\nbest of {args.repeat}: plain {plain:.2f}, workbench {ours:.2f} ms/trial (in memory); "
        f"plain {plain_rdb:.2f}, workbench {ours_rdb:.2f} ms/trial (RDB)"
    )
    print("added overhead per trial (in-memory storage):")
    print(
        f"  MLflowCallback {cb_over:6.2f} ms   workbench {wb_over:6.2f} ms   "
        f"ratio {wb_over / cb_over:5.2f}x  (target <= 0.5x: "
        f"{'ok' if wb_over <= 0.5 * cb_over else 'MISSED'})"
    )
    print(f"added overhead per trial (RDB storage): workbench {ours_rdb - plain_rdb:6.2f} ms")


if __name__ == "__main__":
    main()
