"""All use of MLflow: tracked runs with batched logging, models, lineage, registry, promotion.

The notebook API (filled in by the tracking modules):
    import workbench.tracking as wbt
    wbt.set_experiment("name")
    with wbt.start_run(run_name="train") as run: ...
    wbt.promote(model_name, version, metric="roc_auc", X=X_test, y=y_test)
"""

from __future__ import annotations

from workbench.tracking.config import configure, experiment_artifact_location

__all__ = ["configure", "experiment_artifact_location"]
