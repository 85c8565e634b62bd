"""Model files in the model store: `<store>/<NAME>/<VERSION>/model.pkl` plus `model.json`.

The store is a local folder (the default `models/`), the PersistentVolumeClaim mounted in the
cluster, or any fsspec URL. The file is a cloudpickle of the fitted estimator: pickles run code
when loaded, so its sha256 is recorded at write time (in model.json and as the model version tag
`workbench.sha256`) and `load_model_file` refuses a file whose digest differs.
"""

from __future__ import annotations

import hashlib
import json
import platform
from typing import Any

from workbench.core.errors import IntegrityError, WorkbenchError

SHA256_TAG = "workbench.sha256"
STORE_URI_TAG = "workbench.model_store_uri"
# Optional: the sha256 of the MLflow artifact's own model.pkl (its bytes differ from the store's).
ARTIFACT_SHA256_TAG = "workbench.artifact_sha256"
MODEL_FILE = "model.pkl"
RECORD_FILE = "model.json"


def _fs(uri: str) -> tuple[Any, str]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    return fs, path.rstrip("/")


def model_uri(store: str, name: str, version: str | int) -> str:
    """The folder of one model version in the store."""
    return f"{store.rstrip('/')}/{name}/{version}"


def serialize_model(model: Any) -> bytes:
    """The bytes of a model file: their sha256 is the `workbench.sha256` tag of its version."""
    import cloudpickle

    return bytes(cloudpickle.dumps(model))


def model_digest(model: Any) -> str:
    """The sha256 the model's store file would have: equal digests, identical models."""
    return hashlib.sha256(serialize_model(model)).hexdigest()


def write_model_file(
    model: Any, store: str, name: str, version: str | int, extra: dict[str, Any] | None = None
) -> tuple[str, str]:
    """Serialize `model` into the store; return (path of model.pkl, sha256 of its bytes)."""
    data = serialize_model(model)
    digest = hashlib.sha256(data).hexdigest()
    folder = model_uri(store, name, version)
    fs, path = _fs(folder)
    record = {
        "name": name,
        "version": str(version),
        "file": MODEL_FILE,
        "format": "cloudpickle",
        "sha256": digest,
        "python": platform.python_version(),
        **(extra or {}),
    }
    try:
        fs.makedirs(path, exist_ok=True)
        tmp = f"{path}/.{MODEL_FILE}.tmp"
        fs.pipe_file(tmp, data)
        fs.mv(tmp, f"{path}/{MODEL_FILE}")
        fs.pipe_file(
            f"{path}/{RECORD_FILE}", (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()
        )
    except OSError as exc:
        raise WorkbenchError(f"{folder}: cannot write model file: {exc}") from exc
    return f"{folder}/{MODEL_FILE}", digest


def read_model_record(folder: str) -> dict[str, Any]:
    """model.json of a model-store folder (or of the folder holding a model.pkl path)."""
    if folder.endswith(f"/{MODEL_FILE}"):
        folder = folder[: -len(MODEL_FILE) - 1]
    fs, path = _fs(folder)
    try:
        record: dict[str, Any] = json.loads(fs.cat_file(f"{path}/{RECORD_FILE}"))
    except FileNotFoundError as exc:
        raise WorkbenchError(f"{folder}: not a model-store folder ({RECORD_FILE} missing)") from exc
    except (OSError, ValueError) as exc:
        raise WorkbenchError(f"{folder}/{RECORD_FILE}: unreadable: {exc}") from exc
    return record


def load_model_file(path: str, expected_sha256: str) -> Any:
    """Unpickle the model at `path` only if its bytes hash to `expected_sha256`."""
    import cloudpickle

    if not expected_sha256:
        raise IntegrityError(f"{path}: no recorded sha256; refusing to unpickle an unverified file")
    fs, fpath = _fs(path)
    try:
        data = fs.cat_file(fpath)
    except FileNotFoundError as exc:
        raise WorkbenchError(f"{path}: model file not found") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise IntegrityError(
            f"{path}: sha256 is {actual}, but {expected_sha256} was recorded; "
            "the file changed after it was registered, refusing to load it"
        )
    return cloudpickle.loads(data)
