"""Evaluation metrics for the promotion gate: how to compute each, and which direction is better.

Each metric takes (model, X, y) so it can ask the model for what it needs: labels, or class
probabilities for roc_auc and log_loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import WorkbenchError


@dataclass(frozen=True)
class MetricSpec:
    name: str
    greater_is_better: bool
    compute: Callable[[Any, Any, Any], float]


def _average(y: Any) -> str:
    """'binary' for 0/1 labels (the positive class is 1), otherwise the unweighted class mean."""
    import numpy as np

    labels = set(np.unique(np.asarray(y)).tolist())
    return "binary" if labels <= {0, 1} else "macro"


def _labels(model: Any, X: Any) -> Any:
    return model.predict(X)


def _scores(model: Any, X: Any) -> Any:
    """Class probabilities (positive class only when binary), else decision scores."""
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        return proba[:, 1] if proba.shape[1] == 2 else proba
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    raise WorkbenchError(
        f"{type(model).__name__} has neither predict_proba nor decision_function; "
        "roc_auc needs scores"
    )


def _accuracy(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y, _labels(model, X)))


def _f1(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, _labels(model, X), average=_average(y)))


def _precision(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import precision_score

    return float(precision_score(y, _labels(model, X), average=_average(y), zero_division=0))


def _recall(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import recall_score

    return float(recall_score(y, _labels(model, X), average=_average(y), zero_division=0))


def _roc_auc(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import roc_auc_score

    scores = _scores(model, X)
    if getattr(scores, "ndim", 1) == 2:
        return float(roc_auc_score(y, scores, multi_class="ovr", labels=model.classes_))
    return float(roc_auc_score(y, scores))


def _log_loss(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import log_loss

    if not hasattr(model, "predict_proba"):
        raise WorkbenchError(f"{type(model).__name__} has no predict_proba; log_loss needs it")
    return float(log_loss(y, model.predict_proba(X), labels=model.classes_))


def _rmse(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error(y, _labels(model, X)) ** 0.5)


def _mae(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(y, _labels(model, X)))


def _r2(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(y, _labels(model, X)))


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("accuracy", True, _accuracy),
        MetricSpec("f1", True, _f1),
        MetricSpec("precision", True, _precision),
        MetricSpec("recall", True, _recall),
        MetricSpec("roc_auc", True, _roc_auc),
        MetricSpec("log_loss", False, _log_loss),
        MetricSpec("rmse", False, _rmse),
        MetricSpec("mae", False, _mae),
        MetricSpec("r2", True, _r2),
    )
}


def get_metric(name: str) -> MetricSpec:
    try:
        return METRICS[name]
    except KeyError:
        raise WorkbenchError(
            f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}"
        ) from None


def evaluate(spec: MetricSpec, model: Any, X: Any, y: Any, *, what: str) -> float:
    """The metric of `model` on (X, y); a WorkbenchError naming `what` when the model fails."""
    try:
        return spec.compute(model, X, y)
    except WorkbenchError as exc:
        raise WorkbenchError(f"{what}: {exc}") from exc
    except Exception as exc:  # the model's or scikit-learn's own error on this data
        raise WorkbenchError(f"{what}: computing {spec.name} failed: {exc}") from exc
