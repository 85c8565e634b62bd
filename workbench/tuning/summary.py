"""Plain data about a study for the comparison views: history and parameter importances.

The widgets never import optuna; they take this summary (lists and dicts) instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StudySummary:
    name: str
    direction: str  # "maximize" or "minimize"
    metric: str  # the MLflow metric name trials log their value under
    experiment_id: str | None
    parent_run_id: str | None
    numbers: list[int] = field(default_factory=list)  # completed trials, in order
    values: list[float] = field(default_factory=list)
    best_so_far: list[float] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)  # param -> share, descending


def summarize_study(study: Any, importances: bool = True) -> StudySummary:
    """History of completed trials and (with two or more) fANOVA parameter importances."""
    import optuna

    from workbench.tuning.study import EXPERIMENT_ATTR, METRIC_ATTR, RUN_ATTR

    direction = study.direction.name.lower()
    better = max if direction == "maximize" else min
    numbers: list[int] = []
    values: list[float] = []
    best: list[float] = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if trial.value is None or math.isnan(trial.value):
            continue
        numbers.append(trial.number)
        values.append(float(trial.value))
        best.append(float(trial.value) if not best else better(best[-1], float(trial.value)))
    shares: dict[str, float] = {}
    if importances and len(values) >= 2:
        try:
            raw = optuna.importance.get_param_importances(study)
            shares = {k: float(v) for k, v in raw.items()}
        except (RuntimeError, ValueError):  # e.g. a single distinct parameter value
            shares = {}
    attrs = study.user_attrs
    return StudySummary(
        name=study.study_name,
        direction=direction,
        metric=str(attrs.get(METRIC_ATTR, "value")),
        experiment_id=attrs.get(EXPERIMENT_ATTR),
        parent_run_id=attrs.get(RUN_ATTR),
        numbers=numbers,
        values=values,
        best_so_far=best,
        importances=shares,
    )
