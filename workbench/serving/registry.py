"""models:/ and runs:/ URIs -> ModelSource. Runs once at start-up; an alias is pinned here.

models:/ lookups (alias -> version -> tags) read MLflow's SQL registry tables directly when the
registry is a SQL database (workbench.serving.sqlregistry: one SELECT, no mlflow import, which
is what keeps `workbench serve models:/...` under two seconds). mlflow is imported, lazily, only
for other stores (http(s) tracking servers, databricks), for runs:/ URIs, and to download the
MLflow artifact when the model-store file is missing. With `allow_mlflow=False` (the server
process) those cases raise NeedsMlflow instead, naming the pinned version for a child to resolve.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from workbench.core.errors import WorkbenchError
from workbench.models.store import SHA256_TAG, read_model_record
from workbench.serving.mlflow_model import resolve_mlflow_folder
from workbench.serving.signature import signature_from_mlmodel
from workbench.serving.source import ModelSource, store_file_for
from workbench.serving.sqlregistry import (
    ModelRef,
    RegistryUnavailable,
    VersionRecord,
    is_sql_uri,
    lookup_sql,
    parse_models_uri,
)

_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-zA-Z]+)/(?P<path>.+)$")
# MLflow's codes for "no such model / alias / version"; anything else is a failure to read
_NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})
log = logging.getLogger("workbench.serving")


class NeedsMlflow(Exception):
    """Resolving needs mlflow, which the caller did not allow: resolve `uri` elsewhere.

    `uri` is pinned (`models:/NAME/VERSION`) once the version is known, so a child process
    resolving it cannot see an alias that moved meanwhile; `alias` is the one it was reached by.
    """

    def __init__(self, uri: str, alias: str = "") -> None:
        super().__init__(uri)
        self.uri = uri
        self.alias = alias


def _client() -> Any:
    from workbench.tracking.config import tracking_client

    return tracking_client()


def _exists(path: str) -> bool:
    """Whether the model-store file exists; a local path without fsspec (its import is ~0.05 s
    of every server start)."""
    if "://" not in path:
        return Path(path).exists()
    if path.startswith("file://"):
        return Path(unquote(urlparse(path).path)).exists()
    import fsspec

    fs, fpath = fsspec.core.url_to_fs(path)
    return bool(fs.exists(fpath))


def _download(artifact_uri: str, dst: str = "") -> tuple[str, str]:
    """Download an MLflow model into `dst` (else a new temporary folder): (its folder, the
    temporary folder to remove at exit, "" when the caller owns `dst`)."""
    import tempfile

    from workbench.tracking.config import configure

    configure()
    import mlflow

    cleanup = "" if dst else tempfile.mkdtemp(prefix="workbench-serve-")
    try:
        folder = mlflow.artifacts.download_artifacts(
            artifact_uri=artifact_uri, dst_path=dst or cleanup
        )
    except Exception as exc:  # mlflow raises many kinds; the message names the cause
        if cleanup:
            import shutil

            shutil.rmtree(cleanup, ignore_errors=True)
        raise WorkbenchError(f"{artifact_uri}: cannot download the model: {exc}") from exc
    return str(folder), cleanup


def input_example(artifact_uri: str) -> Any:
    """The input example logged with the MLflow model at `artifact_uri` (None when none was
    logged), for `workbench integration-test` to send to the endpoint. Raises what mlflow
    raises; the caller names the URI."""
    import tempfile

    import mlflow
    from mlflow.models import Model

    with tempfile.TemporaryDirectory(prefix="workbench-it-") as tmp:
        local = mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri, dst_path=tmp)
        return Model.load(local).load_input_example(local)


def _mlmodel_signature(folder: str) -> dict[str, Any] | None:
    mlmodel = Path(folder) / "MLmodel"
    if not mlmodel.is_file():
        return None
    sig = signature_from_mlmodel(mlmodel.read_text(encoding="utf-8"))
    return sig.to_dict() if sig else None


def _local_folder(location: str) -> Path | None:
    """The local folder of a `file://` (or plain path) storage location, if it is on this disk."""
    if location.startswith("file:"):
        location = unquote(urlparse(location).path)
    elif "://" in location or not location:
        return None
    folder = Path(location)
    return folder if (folder / "MLmodel").is_file() else None


def lookup_mlflow(ref: ModelRef) -> VersionRecord:
    """The version `ref` names, through MlflowClient (any store kind), with sqlregistry's errors."""
    client = _client()
    from mlflow.exceptions import MlflowException

    try:
        if ref.alias:
            mv = client.get_model_version_by_alias(ref.name, ref.alias)
        else:
            mv = client.get_model_version(ref.name, ref.version)
    except MlflowException as exc:
        try:
            client.get_registered_model(ref.name)
        except MlflowException as model_exc:
            if model_exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise ref.missing_model() from None
            raise WorkbenchError(f"{ref.uri}: cannot read the registry: {exc.message}") from exc
        if exc.error_code in _NOT_FOUND_CODES:
            raise ref.missing_target() from None
        raise WorkbenchError(f"{ref.uri}: cannot read the registry: {exc.message}") from exc
    tags = {str(k): "" if v is None else str(v) for k, v in (mv.tags or {}).items()}
    return VersionRecord(ref.name, str(mv.version), tags)


def lookup_version(ref: ModelRef, *, allow_mlflow: bool = True) -> VersionRecord:
    """SQL registry first (no mlflow import); mlflow for other stores or an unreadable schema."""
    from workbench.core.settings import settings

    registry_uri = settings().registry_uri
    if is_sql_uri(registry_uri):
        try:
            return lookup_sql(ref, registry_uri)
        except RegistryUnavailable as exc:
            log.info("%s: reading the registry through mlflow (%s)", ref.uri, exc)
    if not allow_mlflow:
        raise NeedsMlflow(ref.uri)
    return lookup_mlflow(ref)


def resolve_registered(
    uri: str, *, trust_unverified: bool, allow_mlflow: bool = True, dst: str = ""
) -> ModelSource:
    """models:/NAME@ALIAS or models:/NAME/VERSION -> the pinned version's verified model."""
    ref = parse_models_uri(uri)
    found = lookup_version(ref, allow_mlflow=allow_mlflow)
    return source_for_version(
        ref, found, trust_unverified=trust_unverified, allow_mlflow=allow_mlflow, dst=dst
    )


def source_for_version(
    ref: ModelRef,
    found: VersionRecord,
    *,
    trust_unverified: bool,
    allow_mlflow: bool = True,
    dst: str = "",
) -> ModelSource:
    """The model to load for a found version: its model-store file, else MLflow's own model
    (read in place when its storage location is a local folder, else downloaded)."""
    name, version, tags, alias = found.name, found.version, found.tags, ref.alias
    pinned = f"models:/{name}/{version}"
    store_file = store_file_for(name, version, tags)
    local = _local_folder(found.storage_location)
    if _exists(store_file):
        if not tags.get(SHA256_TAG):
            raise WorkbenchError(
                f"{ref.uri}: version {version} has no {SHA256_TAG} tag; refusing to unpickle "
                f"{store_file} without a recorded digest"
            )
        record = read_model_record(store_file)
        signature = record.get("signature") if isinstance(record.get("signature"), dict) else None
        if signature is None:
            if local is None and not allow_mlflow:
                raise NeedsMlflow(pinned, alias)
            if local is not None:
                signature = _mlmodel_signature(str(local))
            else:
                folder, cleanup = _download(pinned, dst)
                signature = _mlmodel_signature(folder)
                _remove(cleanup)
        return ModelSource(ref.uri, store_file, tags[SHA256_TAG], name, version, alias, signature)
    cleanup = ""
    if local is not None:
        folder = str(local)
    elif not allow_mlflow:
        raise NeedsMlflow(pinned, alias)
    else:
        folder, cleanup = _download(pinned, dst)
    try:
        return resolve_mlflow_folder(
            folder,
            tags,
            ref.uri,
            trust_unverified=trust_unverified,
            name=name,
            version=version,
            alias=alias,
            cleanup=cleanup,
        )
    except WorkbenchError:
        _remove(cleanup)
        raise


def _remove(folder: str) -> None:
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def resolve_run(uri: str, *, trust_unverified: bool, dst: str = "") -> ModelSource:
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
    folder, cleanup = _download(uri, dst)
    tags = dict(versions[0].tags or {}) if versions else {}
    name = versions[0].name if versions else match["path"].strip("/")
    version = str(versions[0].version) if versions else ""
    try:
        return resolve_mlflow_folder(
            folder,
            tags,
            uri,
            trust_unverified=trust_unverified,
            name=name,
            version=version,
            cleanup=cleanup,
        )
    except WorkbenchError:
        _remove(cleanup)
        raise


def main(argv: list[str] | None = None) -> None:
    """`python -m workbench.serving.registry URI [--trust-unverified] [--alias NAME] [--dst DIR]`:
    print the resolved source as JSON on stdout (the server runs this in a child when resolving
    needs mlflow, so it never imports mlflow itself). `--alias` labels a pinned
    `models:/NAME/VERSION` with the alias the server reached it by; `--dst` is the folder a
    download goes to (the server's, removed when it exits)."""
    args = list(sys.argv[1:] if argv is None else argv)
    trust = "--trust-unverified" in args
    options = {"--alias": "", "--dst": ""}
    for flag in options:
        if flag in args:
            at = args.index(flag)
            options[flag] = args[at + 1] if at + 1 < len(args) else ""
            del args[at : at + 2]
    uri = next((a for a in args if a != "--trust-unverified"), "")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        # anything mlflow prints goes to stderr: stdout carries only the JSON answer
        with contextlib.redirect_stdout(sys.stderr):
            resolve = resolve_run if uri.startswith("runs:/") else resolve_registered
            source = resolve(uri, trust_unverified=trust, dst=options["--dst"])
    except WorkbenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(exc.exit_code)
    if options["--alias"]:
        source = replace(source, alias=options["--alias"])
    sys.stdout.write(json.dumps(source.to_dict()))


if __name__ == "__main__":
    main()
