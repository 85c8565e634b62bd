"""An MLflow model folder read without importing mlflow: its flavor, data file and digest.

MLflow 3's `mlflow.sklearn.save_model` writes the `sklearn` flavor as

    sklearn: {pickled_model: model.skops, serialization_format: skops, skops_trusted_types: null}

(`pickle` and `cloudpickle` write model.pkl), plus a `python_function` flavor whose
`loader_module` is mlflow.sklearn. Such a model is loaded here directly (skops, pickle or
cloudpickle, as `mlflow.sklearn._load_model_from_local_file` does), which keeps mlflow out of the
serving process. Every other model with a `python_function` flavor (a custom PythonModel,
another library's flavor) is loaded by `mlflow.pyfunc.load_model`.

The digest that vouches for a model (`workbench.artifact_sha256`): the sha256 of the sklearn
flavor's data file (the only file deserialized), else of the whole folder (`tree_sha256`), since
a pyfunc model runs its pickled object, its code paths and its artifacts alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.hashing import sha256_file, tree_sha256
from workbench.serving.source import MLFLOW, ModelSource, ServeError, check_digest

SKLEARN_FORMATS = ("skops", "pickle", "cloudpickle")


@dataclass(frozen=True)
class MlflowModel:
    """What the MLmodel file says, as far as serving needs it."""

    folder: str
    kind: str  # "sklearn" (loaded here) or "pyfunc" (through mlflow.pyfunc)
    data_file: str = ""  # sklearn: the serialized estimator
    serialization: str = ""  # sklearn: skops, pickle or cloudpickle
    trusted_types: tuple[str, ...] = ()  # sklearn/skops: the types MLflow recorded
    signature: dict[str, Any] | None = None

    @property
    def safe(self) -> bool:
        """Deserializing cannot run code: skops restricted to its default trusted types."""
        return self.kind == "sklearn" and self.serialization == "skops"


def read_mlmodel(folder: str) -> MlflowModel:
    """Parse `folder/MLmodel`; ServeError when it is missing or names no servable flavor."""
    import yaml

    path = Path(folder) / "MLmodel"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ServeError(f"{folder}: no MLmodel file; not an MLflow model folder") from None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ServeError(f"{path}: unreadable MLmodel: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict):
        raise ServeError(f"{path}: no 'flavors' mapping; not an MLflow model")
    flavors: dict[str, Any] = doc["flavors"]
    signature = doc.get("signature") if isinstance(doc.get("signature"), dict) else None
    sk = flavors.get("sklearn")
    pyfunc = flavors.get("python_function")
    loader = pyfunc.get("loader_module") if isinstance(pyfunc, dict) else None
    if isinstance(sk, dict) and loader in (None, "mlflow.sklearn") and sk.get("pickled_model"):
        fmt = str(sk.get("serialization_format") or "pickle")
        if fmt not in SKLEARN_FORMATS:
            raise ServeError(
                f"{path}: sklearn serialization_format '{fmt}' is not one of "
                f"{', '.join(SKLEARN_FORMATS)}"
            )
        data = Path(folder) / str(sk["pickled_model"])
        if not data.is_file():
            raise ServeError(f"{folder}: the sklearn flavor's file {data.name} is missing")
        types = sk.get("skops_trusted_types") or ()
        return MlflowModel(
            folder, "sklearn", str(data), fmt, tuple(str(t) for t in types), signature
        )
    if isinstance(pyfunc, dict):
        return MlflowModel(folder, "pyfunc", signature=signature)
    raise ServeError(
        f"{path}: flavors {', '.join(sorted(flavors)) or '(none)'} have no python_function "
        "flavor, so nothing can call predict on this model"
    )


def model_digest(model: MlflowModel) -> str:
    """The digest `workbench.artifact_sha256` must hold for this model (see the module doc)."""
    return sha256_file(model.data_file) if model.kind == "sklearn" else tree_sha256(model.folder)


def describe(model: MlflowModel) -> str:
    """How the model is stored, for messages: `model.skops (skops)` or `the pyfunc folder`."""
    if model.kind == "sklearn":
        return f"{model.data_file} ({model.serialization})"
    return f"the MLflow pyfunc model {model.folder}"


def resolve_mlflow_folder(
    folder: str,
    tags: dict[str, str],
    uri: str,
    *,
    trust_unverified: bool,
    name: str = "",
    version: str = "",
    alias: str = "",
    cleanup: str = "",
) -> ModelSource:
    """An MLflow model folder on this disk, checked against the registry `tags` of its version."""
    model = read_mlmodel(folder)
    digest = model_digest(model)
    verified = check_digest(
        digest,
        tags,
        uri,
        describe(model),
        trust_unverified=trust_unverified,
        safe_format=model.safe,
    )
    return ModelSource(
        uri=uri,
        path=folder,
        sha256=digest,
        name=name or Path(folder).name,
        version=version,
        alias=alias,
        signature=model.signature,
        verified=verified,
        format=MLFLOW,
        trusted=trust_unverified,
        cleanup=cleanup,
    )
