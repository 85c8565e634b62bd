"""Model formats: one loader per kind of model, a registry keyed by `ModelSource.format`.

A loader turns a resolved source into a Predictor. Built-ins register exactly as a new format
would (`register("name", loader)`):
- `store`: the model-store model.pkl (cloudpickle), its sha256 checked before unpickling;
- `mlflow`: an MLflow model folder. The sklearn flavor (skops, pickle, cloudpickle) is loaded
  here without mlflow; any other python_function model through `mlflow.pyfunc.load_model`.
Whatever a loader raises (a missing library, an untrusted skops type, a broken pickle) becomes
one ServeError naming the model: `workbench serve` exits 2 with that line, never a traceback.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.core.errors import IntegrityError, WorkbenchError
from workbench.models.store import load_model_file
from workbench.serving.mlflow_model import MlflowModel, model_digest, read_mlmodel
from workbench.serving.source import MLFLOW, STORE, ModelSource, ServeError

Loader = Callable[[ModelSource], Any]
_LOADERS: dict[str, Loader] = {}


def register(name: str, loader: Loader) -> None:
    """Make `ModelSource(format=name)` loadable by `loader` (source -> model object)."""
    _LOADERS[name] = loader


def load_model(source: ModelSource) -> Any:
    """The model object of `source`: a fitted estimator, or an mlflow PyFuncModel."""
    loader = _LOADERS.get(source.format)
    if loader is None:
        raise ServeError(f"{source.uri}: unknown model format {source.format!r}")
    try:
        return loader(source)
    except WorkbenchError:
        raise
    except Exception as exc:  # any library's failure to load: one line, exit 2
        raise ServeError(
            f"{source.uri}: cannot load the model from {source.path}: {type(exc).__name__}: {exc}"
        ) from exc


def _load_store(source: ModelSource) -> Any:
    return load_model_file(source.path, source.sha256)


def _check(source: ModelSource, model: MlflowModel) -> None:
    """The folder still hashes to what resolution vouched for (a worker loads it again)."""
    if source.verified and source.sha256:
        actual = model_digest(model)
        if actual != source.sha256:
            raise IntegrityError(
                f"{source.uri}: {source.path} has sha256 {actual}, but {source.sha256} was "
                "verified at start; the model changed, refusing to load it"
            )
    elif not source.trusted and not model.safe:
        raise IntegrityError(f"{source.uri}: {source.path} is not verified; refusing to load it")


def _load_sklearn(source: ModelSource, model: MlflowModel) -> Any:
    if model.serialization == "skops":
        from workbench.serving.skopstypes import import_skops_io

        skops_io = import_skops_io()
        # the types the MLmodel lists are honoured only when a digest or the operator vouches
        # for the file, since the file names them itself; else skops's own safe defaults
        extra = list(model.trusted_types) if (source.verified or source.trusted) else []
        untrusted = [
            t for t in skops_io.get_untrusted_types(file=model.data_file) if t not in extra
        ]
        if untrusted:
            raise ServeError(
                f"{source.uri}: {Path(model.data_file).name} (skops) needs types skops does not "
                f"trust by default: {', '.join(untrusted[:8])}; they load only when the registry "
                "records the model's digest (workbench.artifact_sha256) or with --trust-unverified"
            )
        return skops_io.load(model.data_file, trusted=extra or None)
    data = Path(model.data_file).read_bytes()
    if model.serialization == "cloudpickle":
        import cloudpickle

        return cloudpickle.loads(data)
    return pickle.loads(data)  # verified or trusted: formats._check


def _load_mlflow(source: ModelSource) -> Any:
    model = read_mlmodel(source.path)
    _check(source, model)
    if model.kind == "sklearn":
        return _load_sklearn(source, model)
    return load_pyfunc(source.path)


def load_pyfunc(folder: str) -> Any:
    """mlflow.pyfunc.load_model on a local folder (the only place serving imports mlflow)."""
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(folder)


def is_pyfunc(model: Any) -> bool:
    """Whether `model` is an mlflow PyFuncModel (without importing mlflow to find out)."""
    return type(model).__name__ == "PyFuncModel" and type(model).__module__.startswith("mlflow.")


register(STORE, _load_store)
register(MLFLOW, _load_mlflow)
