"""All use of MLflow: tracked runs with batched logging, models, lineage, registry, promotion.

The notebook API:
    import workbench.tracking as wbt
    wbt.set_experiment("name")
    with wbt.start_run(run_name="train") as run:
        run.log_params({...}); run.log_metric("loss", 0.1, step=3)
        info = run.log_model(model, input_example=X.head(5), register="name")
    decision = wbt.promote("name", info.version, metric="roc_auc", X=X_test, y=y_test)

`import workbench.tracking` does not import mlflow: the names below load on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.lazy import lazy_attribute
from workbench.tracking.config import configure, experiment_artifact_location

if TYPE_CHECKING:
    from workbench.tracking.promotion import PromotionDecision, promote
    from workbench.tracking.registry import LoggedModelInfo
    from workbench.tracking.runs import TrackedRun, set_experiment, start_run

# name -> "module:attribute", resolved on first access (PEP 562)
_LAZY = {
    "set_experiment": "workbench.tracking.runs:set_experiment",
    "start_run": "workbench.tracking.runs:start_run",
    "TrackedRun": "workbench.tracking.runs:TrackedRun",
    "LoggedModelInfo": "workbench.tracking.registry:LoggedModelInfo",
    "promote": "workbench.tracking.promotion:promote",
    "PromotionDecision": "workbench.tracking.promotion:PromotionDecision",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _LAZY, name)


__all__ = [
    "LoggedModelInfo",
    "PromotionDecision",
    "TrackedRun",
    "configure",
    "experiment_artifact_location",
    "promote",
    "set_experiment",
    "start_run",
]
