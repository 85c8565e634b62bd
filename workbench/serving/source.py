"""What resolution hands to loading: where the model is, what kind it is, and who vouches for it.

Plain data shared by `loader` (model-store paths, loading), `registry` (models:/, runs:/) and the
server (passed to workers and to the resolving child as JSON). It imports nothing from either
side, so neither imports the other through it.

Integrity rule (a pickle runs code when loaded): a file is deserialized only when
- a digest recorded *in the registry* vouches for it (`workbench.sha256` for the model-store
  file, `workbench.artifact_sha256` for an MLflow model; see `mlflow_model.model_digest`), or
- its format cannot run code: skops with scikit-learn's and skops's own trusted types (the
  extra `skops_trusted_types` an MLmodel records are honoured only when vouched or trusted,
  since the file names them itself), or
- the operator said `--trust-unverified`.
A digest that is recorded and differs is refused always, trusted or not.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from workbench.core.errors import IntegrityError, WorkbenchError
from workbench.models.store import ARTIFACT_SHA256_TAG, MODEL_FILE, SHA256_TAG, STORE_URI_TAG

log = logging.getLogger("workbench.serving")

STORE = "store"  # a model-store model.pkl (cloudpickle) with its model.json
MLFLOW = "mlflow"  # an MLflow model folder (MLmodel + flavor files)


class ServeError(WorkbenchError):
    """A model that cannot be served: one message naming it and why; `workbench serve` exits 2."""

    exit_code = 2


@dataclass(frozen=True)
class ModelSource:
    """Where the model is and what its digest must be; plain data, passed to workers as JSON.

    `path` is the model-store file for `format == "store"`, the MLflow model folder for
    `"mlflow"`. `verified`: a recorded digest (or a safe format) vouches for it; `trusted`: the
    operator passed --trust-unverified. `cleanup` is a temporary folder the server removes at exit.
    """

    uri: str
    path: str
    sha256: str
    name: str
    version: str
    alias: str = ""
    signature: dict[str, Any] | None = None
    verified: bool = True
    format: str = STORE
    trusted: bool = False
    cleanup: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_file_for(name: str, version: str, tags: dict[str, str]) -> str:
    """The model-store model.pkl of a registered version: its tag, else the configured store."""
    tagged = tags.get(STORE_URI_TAG, "")
    if tagged:
        return tagged if tagged.endswith(MODEL_FILE) else f"{tagged.rstrip('/')}/{MODEL_FILE}"
    from workbench.core.settings import settings
    from workbench.models.store import model_uri

    return f"{model_uri(settings().model_store, name, version)}/{MODEL_FILE}"


def check_digest(
    actual: str,
    tags: dict[str, str],
    uri: str,
    what: str,
    *,
    trust_unverified: bool,
    safe_format: bool = False,
) -> bool:
    """Whether a recorded digest vouches for `what` (hashing to `actual`); raise if it may not be
    loaded at all.

    `workbench.sha256` describes the model-store file; MLflow serializes the same model into
    other bytes, so a difference from it proves nothing and leaves the artifact unverified.
    `workbench.artifact_sha256` describes the MLflow model itself: a difference means the file
    changed, refused even when trusted. Unverified is allowed for a `safe_format` (skops without
    extra trusted types) or with `trust_unverified`.
    """
    store_sha, artifact_sha = tags.get(SHA256_TAG, ""), tags.get(ARTIFACT_SHA256_TAG, "")
    if actual and actual in (store_sha, artifact_sha):
        return True
    if artifact_sha:
        raise IntegrityError(
            f"{uri}: {what} has sha256 {actual}, but {artifact_sha} was recorded "
            f"({ARTIFACT_SHA256_TAG}); the file changed after it was logged, refusing to load it"
        )
    if safe_format:
        return False
    if trust_unverified:
        log.warning("loading unverified model %s (sha256 %s): --trust-unverified", what, actual)
        return False
    recorded = f"{store_sha} ({SHA256_TAG}, the model-store file's)" if store_sha else "none"
    raise IntegrityError(
        f"{uri}: {what} has sha256 {actual}, which no digest recorded in the registry vouches "
        f"for (recorded: {recorded}); refusing to deserialize it (it can run code). Tag the "
        f"model version with {ARTIFACT_SHA256_TAG}={actual} if you know where it came from, "
        "or pass --trust-unverified."
    )
