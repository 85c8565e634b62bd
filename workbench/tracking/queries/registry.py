"""Register the model a run logged, for the widget's "register and promote" action.

MLflow 3 logs models as LoggedModels that name their source run; older code logged them as the
run artifact `model`. Both are looked up, the newest LoggedModel first.
"""

from __future__ import annotations

from typing import Any

from workbench.core.errors import WorkbenchError


def run_model_uri(run_id: str) -> str:
    """The URI of the model logged by `run_id`: `models:/<id>` or `runs:/<run>/model`."""
    from mlflow.exceptions import MlflowException

    from workbench.tracking.config import tracking_client

    if not run_id.isalnum():  # MLflow run ids are hex; anything else would reach a filter
        raise WorkbenchError(f"run {run_id!r}: not an MLflow run id")
    client = tracking_client()
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise WorkbenchError(f"run {run_id!r}: {exc.message}") from exc
    models: list[Any]
    try:
        models = client.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run_id}'",
            order_by=[{"field_name": "creation_timestamp", "ascending": False}],
        )
    except MlflowException:
        models = []
    if models:
        return f"models:/{models[0].model_id}"
    names = {a.path for a in client.list_artifacts(run_id)}
    if "model" in names:
        return f"runs:/{run_id}/model"
    raise WorkbenchError(f"run {run_id!r} logged no model: nothing to register")


def find_run_model_version(run_id: str, name: str) -> str | None:
    """The newest version of registered model `name` made from `run_id`'s model, if any: the
    same run registered twice is the same model, so it gets no second version."""
    from workbench.tracking.config import tracking_client

    if not run_id.isalnum():
        raise WorkbenchError(f"run {run_id!r}: not an MLflow run id")
    found = tracking_client().search_model_versions(f"run_id = '{run_id}'")
    versions = [int(v.version) for v in found if v.name == name]
    return str(max(versions)) if versions else None


def register_run_model(run_id: str, name: str) -> str:
    """Register the run's model under `name`; return the new version number.

    Like a model registered by `run.log_model(register=...)`, a scikit-learn model also gets
    its file in the project's model store and the file's sha256 on the version, so the
    promotion gate and serving load the verified copy.
    """
    import mlflow

    if not name:
        raise WorkbenchError("model name: required to register a run's model")
    uri = run_model_uri(run_id)
    version = str(mlflow.register_model(uri, name).version)
    _store_file(uri, name, version, run_id)
    return version


def _store_file(uri: str, name: str, version: str, run_id: str) -> None:
    import mlflow.sklearn

    from workbench.tracking.registry import store_model_version

    try:
        model = mlflow.sklearn.load_model(uri)
    except Exception:  # not a scikit-learn model: the gate falls back to MLflow's own copy
        return
    store_model_version(model, name, int(version), run_id)
