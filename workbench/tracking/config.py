"""Point MLflow at the project's store: the one place tracking and registry URIs are set.

Experiments created here get their artifact location under the project's artifact root, so a
SQLite store and its artifacts live side by side in the project, whatever the working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.settings import Settings, settings

if TYPE_CHECKING:
    from mlflow import MlflowClient


def experiment_artifact_location(name: str, cfg: Settings | None = None) -> str:
    cfg = cfg or settings()
    root = cfg.artifact_root
    if "://" in root:
        return f"{root.rstrip('/')}/{name}"
    return (Path(root) / name).as_uri()


def configure(experiment: str | None = None) -> str | None:
    """Set MLflow's tracking and registry URIs from the settings; return the experiment id.

    With `experiment`, get or create it (with the project's artifact location) and make it active.
    """
    import mlflow

    cfg = settings()
    mlflow.set_tracking_uri(cfg.tracking_uri)
    mlflow.set_registry_uri(cfg.registry_uri)
    if experiment is None:
        return None
    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is None:
        try:
            experiment_id = client.create_experiment(
                experiment, artifact_location=experiment_artifact_location(experiment, cfg)
            )
        except mlflow.exceptions.MlflowException:
            # another process created it between our lookup and create
            found = client.get_experiment_by_name(experiment)
            if found is None:
                raise
            experiment_id = found.experiment_id
    else:
        experiment_id = found.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return str(experiment_id)


def tracking_client() -> MlflowClient:
    """An MlflowClient on the project's store (configured on every call: cwd may have changed)."""
    import mlflow

    configure()
    return mlflow.MlflowClient()
