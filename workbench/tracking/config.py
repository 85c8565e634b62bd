"""Point MLflow at the project's store: the one place tracking and registry URIs are set.

Experiments created here get their artifact location under the project's artifact root, so a
SQLite store and its artifacts live side by side in the project, whatever the working directory;
through a tracking server (`workbench server`) the server's artifact destination is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import WorkbenchError
from workbench.core.redact import redact
from workbench.core.settings import Settings, settings

if TYPE_CHECKING:
    from mlflow import MlflowClient


def experiment_artifact_location(name: str, cfg: Settings | None = None) -> str | None:
    """Where a new experiment keeps its artifacts; None lets a tracking server choose.

    Through a tracking server (http/https) the server's `--artifacts-destination` decides
    (`mlflow-artifacts:/`, proxied): a laptop's folder would be invisible to everyone else.
    """
    cfg = cfg or settings()
    root = cfg.artifact_root  # "" through a tracking server unless one is set explicitly
    if not root:  # no artifact root set: the tracking server (or MLflow's default) decides
        return None
    if "://" in root:
        return f"{root.rstrip('/')}/{name}"
    return (Path(root) / name).as_uri()


def configure(experiment: str | None = None) -> str | None:
    """Set MLflow's tracking and registry URIs from the settings; return the experiment id.

    With `experiment`, get or create it (with the project's artifact location) and make it active.
    """
    import mlflow

    from workbench.core.mlflow_schema import check_reachable

    cfg = settings()
    check_reachable(cfg.tracking_uri)
    mlflow.set_tracking_uri(cfg.tracking_uri)
    mlflow.set_registry_uri(cfg.registry_uri)
    if experiment is None:
        return None
    experiment_id = get_or_create_experiment(mlflow.MlflowClient(), experiment, cfg)
    mlflow.set_experiment(experiment_id=experiment_id)
    return str(experiment_id)


def tracking_client() -> MlflowClient:
    """An MlflowClient on the project's store (configured on every call: cwd may have changed)."""
    import mlflow

    configure()
    return mlflow.MlflowClient()


def get_or_create_experiment(
    client: MlflowClient, name: str, cfg: Settings | None = None, *, active_only: bool = False
) -> str:
    """The id of experiment `name`, created with the project's artifact location when missing.

    `active_only` refuses a deleted experiment with a clear message (MLflow would otherwise log
    into it invisibly). A concurrent creator between lookup and create is not an error.
    """
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        if active_only and found.lifecycle_stage != "active":
            raise WorkbenchError(f"experiment {name!r} is deleted; restore it or pick another name")
        return str(found.experiment_id)
    try:
        return str(
            client.create_experiment(
                name, artifact_location=experiment_artifact_location(name, cfg)
            )
        )
    except MlflowException:  # another process created it between our lookup and create
        again = client.get_experiment_by_name(name)
        if again is None:
            raise
        return str(again.experiment_id)


def current_tracking_uri() -> str:
    """The tracking URI MLflow will use now (after `configure`, or as the user set it)."""
    import mlflow

    return str(mlflow.get_tracking_uri())


def create_run(
    experiment: str, run_name: str, tags: Mapping[str, str]
) -> tuple[MlflowClient, str, str]:
    """Create a run in `experiment` on the project's store: (client, experiment id, run id).

    An unreachable or broken store, or a missing database driver, is a WorkbenchError naming
    the store's URI with its password masked.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        experiment_id = configure(experiment)
        assert experiment_id is not None  # configure returns an id whenever a name is given
        client = MlflowClient()
        run = client.create_run(experiment_id, run_name=run_name, tags=dict(tags))
    except (MlflowException, ImportError) as exc:  # ImportError: a database driver is missing
        detail = exc.message if isinstance(exc, MlflowException) else f"missing driver: {exc}"
        raise WorkbenchError(
            f"MLflow tracking store {redact(settings().tracking_uri)}: {redact(detail)}"
        ) from exc
    return client, experiment_id, run.info.run_id
