"""models:/ and runs:/ URIs -> ModelSource, through MLflow: the only serving module that imports it.

Runs once at start-up, never on the request path; an alias is pinned to its version here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.hashing import sha256_file
from workbench.models.store import MODEL_FILE, SHA256_TAG, read_model_record
from workbench.serving.loader import ModelSource, check_artifact, store_file_for
from workbench.serving.signature import signature_from_mlmodel

_MODELS = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")
_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-zA-Z]+)/(?P<path>.+)$")


def _client() -> Any:
    from workbench.tracking.config import configure

    configure()
    import mlflow

    return mlflow.MlflowClient()


def _exists(path: str) -> bool:
    import fsspec

    fs, fpath = fsspec.core.url_to_fs(path)
    return bool(fs.exists(fpath))


def _download(artifact_uri: str) -> str:
    import mlflow

    try:
        return str(mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri))
    except Exception as exc:  # mlflow raises many kinds; the message names the cause
        raise WorkbenchError(f"{artifact_uri}: cannot download the model: {exc}") from exc


def _mlmodel_signature(folder: str) -> dict[str, Any] | None:
    mlmodel = Path(folder) / "MLmodel"
    if not mlmodel.is_file():
        return None
    sig = signature_from_mlmodel(mlmodel.read_text(encoding="utf-8"))
    return sig.to_dict() if sig else None


def resolve_registered(uri: str, *, trust_unverified: bool) -> ModelSource:
    """models:/NAME@ALIAS or models:/NAME/VERSION -> the pinned version's verified file."""
    match = _MODELS.match(uri)
    if not match:
        raise WorkbenchError(f"{uri}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
    name, alias = match["name"], match["alias"] or ""
    client = _client()
    from mlflow.exceptions import MlflowException

    try:
        if alias:
            mv = client.get_model_version_by_alias(name, alias)
        else:
            mv = client.get_model_version(name, match["version"])
    except MlflowException as exc:
        raise WorkbenchError(f"{uri}: no such registered model version ({exc.message})") from exc
    version = str(mv.version)
    tags = dict(mv.tags or {})
    store_file = store_file_for(name, version, tags)
    if _exists(store_file):
        if not tags.get(SHA256_TAG):
            raise WorkbenchError(
                f"{uri}: version {version} has no {SHA256_TAG} tag; refusing to unpickle "
                f"{store_file} without a recorded digest"
            )
        record = read_model_record(store_file)
        signature = record.get("signature") if isinstance(record.get("signature"), dict) else None
        if signature is None:
            signature = _mlmodel_signature(_download(f"models:/{name}/{version}"))
        return ModelSource(uri, store_file, tags[SHA256_TAG], name, version, alias, signature)
    folder = _download(f"models:/{name}/{version}")
    path = f"{folder}/{MODEL_FILE}"
    verified = check_artifact(path, tags, uri, trust_unverified)
    sha = sha256_file(path) if verified else ""
    return ModelSource(uri, path, sha, name, version, alias, _mlmodel_signature(folder), verified)


def resolve_run(uri: str, *, trust_unverified: bool) -> ModelSource:
    """runs:/RUN_ID/PATH -> the run's logged model, checked against its registered version's tags."""
    match = _RUNS.match(uri)
    if not match:
        raise WorkbenchError(f"{uri}: expected runs:/RUN_ID/PATH")
    client = _client()
    versions = client.search_model_versions(f"run_id='{match['run']}'")
    # The version registered from this run, served from its model-store file when present.
    for mv in versions:
        tags = dict(mv.tags or {})
        store_file = store_file_for(mv.name, str(mv.version), tags)
        if tags.get(SHA256_TAG) and _exists(store_file):
            record = read_model_record(store_file)
            signature = (
                record.get("signature") if isinstance(record.get("signature"), dict) else None
            )
            return ModelSource(
                uri, store_file, tags[SHA256_TAG], mv.name, str(mv.version), "", signature
            )
    folder = _download(uri)
    path = f"{folder}/{MODEL_FILE}"
    if not Path(path).is_file():
        raise WorkbenchError(f"{uri}: no {MODEL_FILE} in the logged model (not a sklearn model?)")
    tags = dict(versions[0].tags or {}) if versions else {}
    name = versions[0].name if versions else match["path"].strip("/")
    version = str(versions[0].version) if versions else ""
    verified = check_artifact(path, tags, uri, trust_unverified)
    sha = sha256_file(path) if verified else ""
    return ModelSource(uri, path, sha, name, version, "", _mlmodel_signature(folder), verified)


def main(argv: list[str] | None = None) -> None:
    """`python -m workbench.serving.registry URI [--trust-unverified]`: print the resolved source
    as JSON on stdout (the server runs this in a child, so it never imports mlflow itself)."""
    args = sys.argv[1:] if argv is None else argv
    trust = "--trust-unverified" in args
    uri = next((a for a in args if a != "--trust-unverified"), "")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        # anything mlflow prints goes to stderr: stdout carries only the JSON answer
        with contextlib.redirect_stdout(sys.stderr):
            resolve = resolve_run if uri.startswith("runs:/") else resolve_registered
            source = resolve(uri, trust_unverified=trust)
    except WorkbenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(exc.exit_code)
    sys.stdout.write(json.dumps(source.to_dict()))


if __name__ == "__main__":
    main()
