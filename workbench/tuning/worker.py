"""One tuning pod's command: optimise a shared study, or register and promote its best trial.

    python -m workbench.tuning.worker optimize --objective MODULE --study NAME --trials N
                                               [--study-trials TOTAL] [--experiment E]
                                               [--metric M] [--direction D]
                                               [--heartbeat S] [--grace-period S]
    python -m workbench.tuning.worker promote --objective MODULE --study NAME --model-name M
                                              --promote-metric roc_auc [--output FILE]

The Optuna storage URL comes from `$WORKBENCH_OPTUNA_STORAGE` (a Secret in the cluster), never
from an argument: arguments are printed in the pod spec, `kubectl get` and Argo's UI.

Why a module, not the tune notebook run with papermill per pod: this is Optuna's own distributed
pattern (the same script in every worker, one RDB storage, `study.optimize`), the objective is
importable code the image already holds, and a notebook would re-run its whole comparison view
in every pod and record its parameters (the storage URL among them) in each executed copy. The
module (default: `workbench.demo.tuning`, the example notebook's objective) provides

    space                              the search space (workbench.tuning.space), optional
    objective(params[, trial]) -> float    or objective(trial) when there is no `space`
    train(params) -> (model, X, y)     the final model with the best trial's parameters, and the
                                       held-out data the promotion gate scores it on

`optimize` calls `workbench.tune(..., storage=...)` with the study name: every worker joins the
same study, and tune's shared-study handling gives it one parent MLflow run with each trial
nested under it exactly once. A pod can die mid-trial (eviction, OOM kill, a lost node): the
trials send Optuna heartbeats, the next worker to start a trial fails the dead one (recorded in
MLflow as FAILED, with why) and re-queues its parameters (workbench.tuning.heartbeat), and with
`--study-trials` a worker stops once the study holds that many COMPLETE trials, so the pod Argo
retries only makes up for what is missing. Each trial's MLflow run is written as the trial
ends (a batch of one): a killed pod loses no finished trial's run. `promote` fits the best trial's model, logs and registers it in a
run nested under the same parent, and puts that version through the promotion gate.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.tuning.heartbeat import DEFAULT_HEARTBEAT, Heartbeat

STORAGE_ENV = "WORKBENCH_OPTUNA_STORAGE"


def storage_url() -> str:
    url = os.environ.get(STORAGE_ENV, "").strip()
    if not url:
        raise WorkbenchError(
            f"${STORAGE_ENV} is not set: the shared study's Optuna storage URL "
            "(postgresql://USER:PASSWORD@HOST:PORT/DB), from a Secret in the cluster"
        )
    return url


def load_objective(name: str) -> ModuleType:
    """The tuning module; a clear error when it or its `objective` is missing."""
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise WorkbenchError(f"--objective {name!r}: cannot import it: {exc}") from exc
    if not callable(getattr(module, "objective", None)):
        raise WorkbenchError(f"--objective {name!r}: the module defines no objective() function")
    return module


def optimize(module: ModuleType, study: str, trials: int, experiment: str, metric: str,
             direction: str, study_trials: int | None = None,
             heartbeat: Heartbeat = DEFAULT_HEARTBEAT) -> int:  # fmt: skip
    """Run up to `trials` trials of the shared study here (fewer once it holds `study_trials`
    COMPLETE trials); returns how many trials the study has."""
    from workbench.tuning.study import close_storage, tune

    found = tune(
        module.objective,
        getattr(module, "space", None),
        n_trials=trials,
        experiment=experiment or study,
        storage=storage_url(),
        study_name=study,
        metric=metric,
        direction=direction,
        batch_size=1,
        max_complete=study_trials,
        heartbeat=heartbeat,
    )
    try:
        return len(found.get_trials(deepcopy=False))
    finally:
        close_storage(found)


def promote_best(module: ModuleType, study: str, model_name: str, metric: str) -> dict[str, Any]:
    """Fit, log (nested under the study's parent run), register and gate the best trial's model."""
    import optuna

    from workbench.core.sqlstore import with_installed_driver
    from workbench.tracking.promotion import promote
    from workbench.tracking.runs import start_run
    from workbench.tracking.tuning_runs import create_nested_run
    from workbench.tuning.study import RUN_ATTR

    train = getattr(module, "train", None)
    if not callable(train):
        raise WorkbenchError(
            f"--objective {module.__name__!r}: no train(params) -> (model, X, y) function to "
            "fit the best trial's model"
        )
    storage = None
    try:
        storage = optuna.storages.RDBStorage(with_installed_driver(storage_url()))
        loaded = optuna.load_study(study_name=study, storage=storage)
        best = loaded.best_trial
        parent = loaded.user_attrs.get(RUN_ATTR)
    except (KeyError, ValueError) as exc:  # no such study / no complete trial
        raise WorkbenchError(f"study {study!r}: no best trial to promote ({exc})") from exc
    finally:
        if storage is not None:  # its connections closed here, not by the garbage collector
            storage.engine.dispose()
    if not parent:
        raise WorkbenchError(f"study {study!r}: no parent MLflow run recorded (not made by tune)")
    model, X, y = train(dict(best.params))
    run_id = create_nested_run(str(parent), f"best trial {best.number}", study)
    with start_run(run_id=run_id) as run:
        run.log_params(best.params)
        run.log_metrics({"best_trial_value": float(best.value or 0.0)})
        info = run.log_model(model, input_example=X.head(5), register=model_name)
    decision = promote(model_name, info.version, metric=metric, X=X, y=y)
    return {
        "study": study,
        "trial": best.number,
        "value": best.value,
        "params": best.params,
        "run_id": run_id,
        "model": model_name,
        "version": str(info.version),
        "promoted": bool(decision.promoted),
        "decision": str(decision),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.tuning.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    opt = sub.add_parser("optimize", help="run trials of the shared study")
    opt.add_argument("--trials", type=int, required=True, help="at most this many here")
    opt.add_argument("--study-trials", type=int, default=None,
                     help="stop once the study holds this many COMPLETE trials")  # fmt: skip
    opt.add_argument("--heartbeat", type=int, default=DEFAULT_HEARTBEAT.interval,
                     help="seconds between a running trial's heartbeats")  # fmt: skip
    opt.add_argument("--grace-period", type=int, default=DEFAULT_HEARTBEAT.grace_period,
                     help="seconds without heartbeat after which a trial is dead")  # fmt: skip
    opt.add_argument("--experiment", default="")
    opt.add_argument("--metric", default="value")
    opt.add_argument("--direction", default="maximize", choices=["maximize", "minimize"])
    pro = sub.add_parser("promote", help="register the best trial's model, run the gate")
    pro.add_argument("--model-name", required=True)
    pro.add_argument("--promote-metric", required=True)
    pro.add_argument("--output", type=Path)
    for p in (opt, pro):
        p.add_argument("--objective", required=True, help="module with objective() (and train)")
        p.add_argument("--study", required=True, help="the shared study's name")
    args = parser.parse_args(argv)
    try:
        module = load_objective(args.objective)
        if args.command == "optimize":
            if args.trials < 1:
                raise WorkbenchError(f"--trials {args.trials}: must be >= 1")
            if args.study_trials is not None and args.study_trials < 1:
                raise WorkbenchError(f"--study-trials {args.study_trials}: must be >= 1")
            beat = Heartbeat(args.heartbeat, args.grace_period, DEFAULT_HEARTBEAT.max_retry)
            total = optimize(module, args.study, args.trials, args.experiment, args.metric,
                             args.direction, args.study_trials, beat)  # fmt: skip
            print(f"study {args.study}: {args.trials} trials run here, {total} in the study")
            return 0
        result = promote_best(module, args.study, args.model_name, args.promote_metric)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(result, sort_keys=True, default=str)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
