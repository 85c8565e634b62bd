"""The best finished run of an experiment by one metric: the sweep's final step.

    python -m workbench.tracking.best_run --experiment NAME --metric roc_auc [--lower-is-better]
                                          [--direction max|min] [--output best.json]

Prints one JSON object (run id and name, the metric's value, the run's parameters) and writes
it to --output, where Argo picks it up as an output parameter.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError

PAGE = 100


def best_run(experiment: str, metric: str, *, lower_is_better: bool = False) -> dict[str, Any]:
    """The finished run of `experiment` with the best `metric`; WorkbenchError when none has it."""
    import mlflow

    from workbench.tracking.config import configure

    configure()
    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise WorkbenchError(f"experiment {experiment!r} not found in {mlflow.get_tracking_uri()}")
    order = "ASC" if lower_is_better else "DESC"
    runs = client.search_runs(
        experiment_ids=[found.experiment_id],
        filter_string="attributes.status = 'FINISHED'",
        order_by=[f"metrics.`{metric}` {order}"],
        max_results=PAGE,
    )
    # runs without the metric sort last in MLflow; skip them explicitly all the same
    ranked = [r for r in runs if metric in r.data.metrics]
    if not ranked:
        raise WorkbenchError(f"experiment {experiment!r}: no finished run has a metric {metric!r}")
    best = ranked[0]
    return {
        "experiment": experiment,
        "metric": metric,
        "direction": "min" if lower_is_better else "max",
        "value": best.data.metrics[metric],
        "run_id": best.info.run_id,
        "run_name": best.info.run_name,
        "params": dict(sorted(best.data.params.items())),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.tracking.best_run")
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--metric", required=True)
    parser.add_argument("--lower-is-better", action="store_true", help="same as --direction min")
    parser.add_argument("--direction", choices=("max", "min"), default=None)
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    lower = args.lower_is_better or args.direction == "min"
    if args.lower_is_better and args.direction == "max":
        parser.error("--lower-is-better contradicts --direction max")
    try:
        result = best_run(args.experiment, args.metric, lower_is_better=lower)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(result, sort_keys=True)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
