"""MODEL (a URI or a path) -> a ModelSource resolved once at start, and a source -> the model.

Resolution (`resolve_source`) and loading (`load_source`) are split so that with several workers
the parent resolves an alias once and every worker loads exactly the same pinned file.

- model-store path `<store>/<NAME>/<VERSION>/` (or its model.pkl): model.json's digest sits in
  the same folder as the file, so whoever can replace one can replace both. The file is served
  when the registry's `workbench.sha256` tag for that NAME/VERSION (read with one SQL query, no
  mlflow) vouches for it; otherwise only with `--trust-unverified`.
- a local MLflow model folder (with an MLmodel file): the rule of `source.check_digest`;
- models:/ and runs:/ URIs: `registry`.
Loading is `formats`: one loader per kind of model, chosen by `ModelSource.format`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from workbench.core.errors import IntegrityError, WorkbenchError
from workbench.models.store import ARTIFACT_SHA256_TAG, MODEL_FILE, SHA256_TAG, read_model_record
from workbench.serving import registry
from workbench.serving.mlflow_model import resolve_mlflow_folder
from workbench.serving.source import ModelSource

__all__ = ["ARTIFACT_SHA256_TAG", "ModelSource", "load_source", "resolve_source"]
log = logging.getLogger("workbench.serving")


def resolve_source(uri: str, *, trust_unverified: bool = False) -> ModelSource:
    """Find the model to load for MODEL and what vouches for it; raise WorkbenchError if nothing."""
    if uri.startswith("models:/"):
        return registry.resolve_registered(uri, trust_unverified=trust_unverified)
    if uri.startswith("runs:/"):
        return registry.resolve_run(uri, trust_unverified=trust_unverified)
    if "://" in uri:
        raise WorkbenchError(f"{uri}: not a models:/, runs:/ URI or a model-store path")
    if (Path(uri) / "MLmodel").is_file():
        return resolve_mlflow_folder(uri, {}, uri, trust_unverified=trust_unverified)
    return resolve_store_path(uri, trust_unverified=trust_unverified)


def _registry_digest(name: str, version: str) -> str | None:
    """The version's `workbench.sha256` tag from a SQL registry (no mlflow); None if unknown."""
    from workbench.core.settings import settings
    from workbench.serving.sqlregistry import RegistryUnavailable, lookup_sql, parse_models_uri

    try:
        ref = parse_models_uri(f"models:/{name}/{int(version)}")
        found = lookup_sql(ref, settings().registry_uri)
    except (
        WorkbenchError,
        RegistryUnavailable,
        ValueError,
    ) as exc:  # not registered, not SQL, unreadable
        log.info("%s/%s: no registry record to vouch for the store file (%s)", name, version, exc)
        return None
    return found.tags.get(SHA256_TAG) or None


def resolve_store_path(uri: str, *, trust_unverified: bool = False) -> ModelSource:
    """A model-store folder `<store>/<NAME>/<VERSION>/` or its model.pkl (see the module doc)."""
    folder = uri.rstrip("/")
    if folder.endswith(f"/{MODEL_FILE}") or folder == MODEL_FILE:
        folder = str(Path(folder).parent)
    if not Path(folder).exists():
        raise WorkbenchError(
            f"{uri}: no such model-store folder or file "
            "(expected models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH or a path)"
        )
    record = read_model_record(folder)
    sha = record.get("sha256")
    if not isinstance(sha, str) or not sha:
        raise IntegrityError(f"{folder}/model.json: no sha256 recorded; refusing to load")
    name = str(record.get("name") or Path(folder).parent.name)
    version = str(record.get("version") or Path(folder).name)
    vouched = _registry_digest(name, version)
    if vouched is not None and vouched != sha:
        raise IntegrityError(
            f"{folder}/model.json records sha256 {sha}, but the registry's {SHA256_TAG} for "
            f"{name} version {version} is {vouched}; refusing to load it"
        )
    if vouched is None and not trust_unverified:
        raise IntegrityError(
            f"{uri}: no registry record of {name} version {version} vouches for {MODEL_FILE}; "
            "the only digest is model.json's, in the same folder, which whoever replaces the "
            "file can replace too. Serve models:/NAME/VERSION, or pass --trust-unverified."
        )
    return ModelSource(
        uri=uri,
        path=f"{folder}/{record.get('file', MODEL_FILE)}",
        sha256=sha,
        name=name,
        version=version,
        signature=record.get("signature") if isinstance(record.get("signature"), dict) else None,
        verified=vouched is not None,
        trusted=trust_unverified,
    )


def load_source(source: ModelSource) -> Any:
    """Deserialize the model of `source` with the loader its format names (digest checked)."""
    from workbench.serving.formats import load_model

    return load_model(source)
