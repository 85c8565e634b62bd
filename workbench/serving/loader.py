"""MODEL (a URI or a model-store path) -> a verified, loaded model, resolved once at start.

Resolution (`resolve_source`) and loading (`load_source`) are split so that with several workers
the parent resolves an alias once and every worker loads exactly the same pinned file.

Integrity rule: a pickle runs code when loaded, so no file is unpickled unless its sha256 equals
the digest recorded for it when it was written:
- model-store path: the `sha256` in its model.json (the store's own record);
- `models:/NAME@ALIAS` or `models:/NAME/VERSION`: the version's `workbench.sha256` tag, checked
  against the model-store file named by its `workbench.model_store_uri` tag (or
  `<model_store>/NAME/VERSION/`). When that file is absent, the MLflow artifact's model.pkl is
  used if its bytes hash to that tag or to the optional `workbench.artifact_sha256` tag (the
  artifact's own digest). MLflow pickles a model into other bytes than the store does, so an
  artifact matching neither is unverified: refused unless `trust_unverified`, and refused always
  when `workbench.artifact_sha256` is set and differs (the file changed);
- `runs:/RUN_ID/PATH`: the model-store file of the version registered from that run, else the
  run's artifact under the same rule as above.
Loading from a model-store path never imports mlflow, and neither does resolving models:/ on a
SQL registry (workbench.serving.sqlregistry) while the model-store file and its signature exist.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import IntegrityError, WorkbenchError
from workbench.core.hashing import sha256_file
from workbench.models.store import (
    ARTIFACT_SHA256_TAG,
    MODEL_FILE,
    SHA256_TAG,
    STORE_URI_TAG,
    load_model_file,
    model_uri,
    read_model_record,
)

log = logging.getLogger("workbench.serving")


@dataclass(frozen=True)
class ModelSource:
    """Where the model file is and what it must hash to; plain data, passed to workers as JSON."""

    uri: str
    path: str
    sha256: str
    name: str
    version: str
    alias: str = ""
    signature: dict[str, Any] | None = None
    verified: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_source(uri: str, *, trust_unverified: bool = False) -> ModelSource:
    """Find the file to load for MODEL and the digest it must have; raise WorkbenchError if none."""
    if uri.startswith("models:/"):
        from workbench.serving import registry

        return registry.resolve_registered(uri, trust_unverified=trust_unverified)
    if uri.startswith("runs:/"):
        from workbench.serving import registry

        return registry.resolve_run(uri, trust_unverified=trust_unverified)
    if uri.split("://", 1)[0] in ("http", "https", "mlflow-artifacts"):
        raise WorkbenchError(f"{uri}: not a models:/, runs:/ URI or a model-store path")
    return resolve_store_path(uri)


def resolve_store_path(uri: str) -> ModelSource:
    """A model-store folder `<store>/<NAME>/<VERSION>/` or its model.pkl: digest from model.json."""
    folder = uri.rstrip("/")
    if folder.endswith(f"/{MODEL_FILE}") or folder == MODEL_FILE:
        folder = str(Path(folder).parent) if "://" not in folder else folder.rsplit("/", 1)[0]
    if "://" not in folder and not Path(folder).exists():
        raise WorkbenchError(
            f"{uri}: no such model-store folder or file "
            "(expected models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH or a path)"
        )
    record = read_model_record(folder)
    sha = record.get("sha256")
    if not isinstance(sha, str) or not sha:
        raise IntegrityError(f"{folder}/model.json: no sha256 recorded; refusing to load")
    return ModelSource(
        uri=uri,
        path=f"{folder}/{record.get('file', MODEL_FILE)}",
        sha256=sha,
        name=str(record.get("name") or Path(folder).parent.name),
        version=str(record.get("version") or Path(folder).name),
        signature=record.get("signature") if isinstance(record.get("signature"), dict) else None,
    )


def store_file_for(name: str, version: str, tags: dict[str, str]) -> str:
    """The model-store model.pkl of a registered version: its tag, else the configured store."""
    tagged = tags.get(STORE_URI_TAG, "")
    if tagged:
        return tagged if tagged.endswith(MODEL_FILE) else f"{tagged.rstrip('/')}/{MODEL_FILE}"
    from workbench.core.settings import settings

    return f"{model_uri(settings().model_store, name, version)}/{MODEL_FILE}"


def check_artifact(path: str, tags: dict[str, str], uri: str, trust_unverified: bool) -> str:
    """The sha256 of the MLflow artifact at `path` when it is verified, "" when it is only
    trusted (`trust_unverified`); raise if it may not be loaded at all.

    `workbench.sha256` describes the model-store file; MLflow pickles the same model into other
    bytes, so a difference from it proves nothing and leaves the artifact unverified (refused
    unless `trust_unverified`). `workbench.artifact_sha256` describes the artifact itself: a
    difference from it means the file changed, and is refused even when trusted.
    """
    actual = sha256_file(path)
    store_sha, artifact_sha = tags.get(SHA256_TAG, ""), tags.get(ARTIFACT_SHA256_TAG, "")
    if actual in (store_sha, artifact_sha):
        return actual
    if artifact_sha:
        raise IntegrityError(
            f"{uri}: {path} has sha256 {actual}, but {artifact_sha} was recorded "
            f"({ARTIFACT_SHA256_TAG}); the file changed after it was logged, refusing to load it"
        )
    if trust_unverified:
        log.warning(
            "loading unverified model file %s (sha256 %s) because of --trust-unverified",
            path,
            actual,
        )
        return ""
    recorded = f"{store_sha} ({SHA256_TAG}, the model-store file's)" if store_sha else "none"
    raise IntegrityError(
        f"{uri}: the model-store file is missing and the MLflow artifact {path} has sha256 "
        f"{actual}, which no recorded digest vouches for (recorded: {recorded}); refusing to "
        "unpickle it. Restore the model-store file, or pass --trust-unverified if you know "
        "where this artifact came from."
    )


def load_source(source: ModelSource) -> Any:
    """Unpickle the model of `source`, checking its digest first (unless it was trusted)."""
    if source.verified:
        return load_model_file(source.path, source.sha256)
    import cloudpickle

    return cloudpickle.loads(Path(source.path).read_bytes())
