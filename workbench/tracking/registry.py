"""Models in MLflow's registry and the workbench model store, kept in step.

A registered version gets its cloudpickle written to the model store
(`<store>/<NAME>/<VERSION>/model.pkl`) and two model-version tags: `workbench.sha256` (the file's
digest) and `workbench.model_store_uri` (its path). Serving and the pipeline runner rely on those
two tags (workbench.models.store.SHA256_TAG / STORE_URI_TAG); their names must not change.

Two more things are recorded so that serving never needs mlflow: the MLflow signature
(`ModelSignature.to_dict()` form) under "signature" in the store's model.json, which the server
validates request columns and types against; and, when the artifact store is a local folder,
the MLflow artifact's own sha256 as the tag `workbench.artifact_sha256`, which lets the server
verify MLflow's copy if the model-store file is ever missing (remote stores: not recorded, as it
would mean downloading the artifact back).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from workbench.core.errors import WorkbenchError
from workbench.core.hashing import sha256_file
from workbench.core.settings import settings
from workbench.core.step_report import report
from workbench.models.store import (
    ARTIFACT_SHA256_TAG,
    MODEL_FILE,
    SHA256_TAG,
    STORE_URI_TAG,
    load_model_file,
    write_model_file,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

log = logging.getLogger(__name__)


class _ChosenFormatFilter(logging.Filter):
    """Drop MLflow's warning against the pickle formats: workbench chose cloudpickle on purpose
    (see log_sklearn_model) and repeating the warning on every model would only teach users to
    ignore warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pickle or cloudpickle format requires exercising caution" not in str(record.msg)


logging.getLogger("mlflow.sklearn").addFilter(_ChosenFormatFilter())


@dataclass(frozen=True)
class LoggedModelInfo:
    """What `TrackedRun.log_model` produced. `version` and the store fields are None unregistered."""

    model_uri: str
    run_id: str
    name: str | None = None
    version: int | None = None
    sha256: str | None = None
    store_path: str | None = None
    reused: bool = False  # the champion's identical version, not a new one (model_reuse.py)


def _signature(model: Any, input_example: Any) -> Any:
    """The signature MLflow would show, inferred from the example and the model's predictions."""
    from mlflow.models import infer_signature

    try:
        return infer_signature(input_example, model.predict(input_example))
    except Exception as exc:  # the model's own error on its example: say which step failed
        raise WorkbenchError(
            f"log_model: the model cannot predict on its input_example: {exc}"
        ) from exc


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    from importlib.metadata import packages_distributions

    return dict(packages_distributions())


def _estimator_types(model: Any) -> set[type]:
    """The classes in a fitted estimator's parameter tree (pipeline steps, wrapped models)."""
    seen: set[type] = set()
    stack = [model]
    while stack:
        obj = stack.pop()
        if isinstance(obj, list | tuple):  # Pipeline.steps, ColumnTransformer.transformers
            stack.extend(obj)
            continue
        if type(obj) in seen or not hasattr(obj, "get_params"):
            continue
        seen.add(type(obj))
        try:
            stack.extend(obj.get_params(deep=False).values())
        except Exception:  # get_params of a non-sklearn object: its own type is enough
            continue
    return seen


def model_requirements(model: Any) -> list[str]:
    """Pinned requirements of a model: scikit-learn, cloudpickle and the packages of its classes.

    MLflow's own inference starts a subprocess that re-imports the model (about 2.5 s per
    log_model here); the classes in the estimator tree name the same packages in milliseconds.
    Classes defined in a notebook are pickled by value by cloudpickle and need no package.
    """
    from importlib.metadata import PackageNotFoundError, version

    names = {"scikit-learn", "cloudpickle"}
    dists = _distributions()
    for cls in _estimator_types(model):
        names.update(dists.get(cls.__module__.partition(".")[0], []))
    pins = []
    for name in sorted(names):
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return pins


def log_sklearn_model(
    model: Any,
    run_id: str,
    name: str = "model",
    *,
    input_example: Any = None,
    signature: Any = None,
    register: str | None = None,
) -> LoggedModelInfo:
    """Log a fitted scikit-learn model into the active run `run_id`; optionally register it."""
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException

    if not callable(getattr(model, "predict", None)):
        raise WorkbenchError(
            f"log_model: {type(model).__name__} has no predict(); expected a fitted "
            "scikit-learn estimator or pipeline"
        )
    if signature is None and input_example is not None:
        signature = _signature(model, input_example)
    twin = None
    if register is not None:
        from workbench.models.store import model_digest
        from workbench.tracking.model_reuse import champion_twin

        digest = model_digest(model)
        twin = champion_twin(register, digest)
    try:
        # cloudpickle, not MLflow 3's default skops: skops refuses forests, trees and pipelines
        # unless every type is listed in skops_trusted_types. Loading a pickle runs code, but
        # every model file workbench loads is first checked against the sha256 recorded at
        # registration (workbench.models.load_model_file), which is the trust boundary we need.
        with warnings.catch_warnings():
            # without an example MLflow reads predict()'s type hints; scikit-learn has none, and
            # the resulting "inferred as AnyType" warning would appear on every such model
            warnings.filterwarnings("ignore", message=".*inferred as AnyType")
            info = mlflow.sklearn.log_model(
                model,
                name=name,
                signature=signature,
                input_example=input_example,
                serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
                registered_model_name=None if twin is not None else register,
                pip_requirements=model_requirements(model),
            )
    except MlflowException as exc:
        target = f" as {register!r}" if register else ""
        raise WorkbenchError(
            f"run {run_id}: logging model {name!r}{target} failed: {exc.message}"
        ) from exc
    if register is None:
        return LoggedModelInfo(model_uri=info.model_uri, run_id=run_id)
    if twin is not None:
        from workbench.tracking.model_reuse import link_run

        print(link_run(run_id, twin, digest))
        report("model", name=register, version=int(twin.version), reused=True, run_id=run_id)
        return LoggedModelInfo(
            model_uri=info.model_uri,
            run_id=run_id,
            name=register,
            version=int(twin.version),
            sha256=digest,
            store_path=_store_file(dict(twin.tags or {}).get(STORE_URI_TAG)),
            reused=True,
        )
    version = int(info.registered_model_version)
    path, sha = store_model_version(
        model, register, version, run_id, _signature_dict(info), _artifact_sha256(info)
    )
    report("model", name=register, version=version, reused=False, run_id=run_id)
    return LoggedModelInfo(
        model_uri=info.model_uri,
        run_id=run_id,
        name=register,
        version=version,
        sha256=sha,
        store_path=path,
    )


def _store_file(uri: str | None) -> str | None:
    """The model file a version's store tag names: the tag holds the file or, when set by
    hand (`mlflow` CLI, an operator re-pointing a version), its folder; both serve."""
    from workbench.models.store import MODEL_FILE

    if not uri or uri.rstrip("/").endswith("/" + MODEL_FILE):
        return uri
    return f"{uri.rstrip('/')}/{MODEL_FILE}"


def _signature_dict(info: Any) -> dict[str, Any] | None:
    """The logged signature as MLflow writes it into MLmodel (`ModelSignature.to_dict()`)."""
    signature = getattr(info, "signature", None)
    return dict(signature.to_dict()) if signature is not None else None


def _local_folder(location: str) -> Path | None:
    if location.startswith("file:"):
        return Path(unquote(urlparse(location).path))
    return None if "://" in location or not location else Path(location)


def _artifact_sha256(info: Any) -> str:
    """sha256 of the MLflow artifact's pickle when it sits in a local folder; else "".

    Reading a local file back is cheap; for a remote artifact store it would be a download.
    """
    import mlflow

    try:
        location = mlflow.get_logged_model(info.model_id).artifact_location
    except Exception:  # an older server without logged models: nothing cheap to read
        log.debug("no logged-model location for %s", info.model_uri, exc_info=True)
        return ""
    folder = _local_folder(str(location or ""))
    if folder is None:
        return ""
    pickled = (info.flavors or {}).get("sklearn", {}).get("pickled_model", MODEL_FILE)
    path = folder / str(pickled)
    return sha256_file(path) if path.is_file() else ""


def store_model_version(
    model: Any,
    name: str,
    version: int,
    run_id: str,
    signature: dict[str, Any] | None = None,
    artifact_sha256: str = "",
) -> tuple[str, str]:
    """Write the model-store file and tag the version; undo the registration if that fails."""
    import mlflow

    client = mlflow.MlflowClient()
    extra: dict[str, Any] = {"run_id": run_id}
    if signature is not None:
        extra["signature"] = signature
    try:
        path, sha = write_model_file(model, settings().model_store, name, version, extra=extra)
        client.set_model_version_tag(name, str(version), SHA256_TAG, sha)
        client.set_model_version_tag(name, str(version), STORE_URI_TAG, path)
        if artifact_sha256:
            client.set_model_version_tag(name, str(version), ARTIFACT_SHA256_TAG, artifact_sha256)
    except Exception:
        # a version without its verified file cannot be served or promoted: leave none behind
        client.delete_model_version(name, str(version))
        raise
    return path, sha


def get_version(client: MlflowClient, name: str, version: int | str | None) -> ModelVersion:
    """One registered version (the highest when `version` is None); WorkbenchError naming it.

    No search filter is built from the name (a quote in it would change the filter's meaning):
    the model is fetched by name and every version found must carry exactly that name.
    """
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(name)
    except MlflowException:
        raise WorkbenchError(f"model {name!r} is not registered") from None
    if version is None:
        # the newest version of each stage ("None" included): their maximum is the latest
        found = [mv for mv in model.latest_versions or [] if mv.name == name]
        if not found:
            raise WorkbenchError(f"model {name!r} has no versions")
        return max(found, key=lambda mv: int(mv.version))
    try:
        mv = client.get_model_version(name, str(version))
    except MlflowException:
        raise WorkbenchError(f"model {name!r} has no version {version}") from None
    if mv.name != name:  # a registry that matched loosely: never act on another model
        raise WorkbenchError(f"model {name!r}: the registry answered with model {mv.name!r}")
    return mv


def get_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version holding `alias`, or None when no version holds it."""
    from mlflow.exceptions import MlflowException

    try:
        mv = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    return mv if mv.name == name else None


def load_version_model(mv: ModelVersion) -> Any:
    """The fitted model of a version: the model-store file, verified against its sha256 tag.

    Versions registered outside workbench carry no sha256 tag; only those fall back to MLflow's
    own artifact. A tagged version whose file is missing or altered is an error, never a fallback.
    """
    tags = dict(mv.tags or {})
    if SHA256_TAG in tags and STORE_URI_TAG in tags:
        return load_model_file(tags[STORE_URI_TAG], tags[SHA256_TAG])
    import mlflow.sklearn

    log.warning(
        "model %s version %s has no %s tag (registered outside workbench); loading MLflow's copy",
        mv.name,
        mv.version,
        SHA256_TAG,
    )
    return mlflow.sklearn.load_model(f"models:/{mv.name}/{mv.version}")
