"""Model resolution and the integrity rule: store paths, models:/ and runs:/ URIs, tampering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from serving_helpers import NAME, REPO, Registered, example_model, register_model

from workbench.core.errors import IntegrityError, WorkbenchError
from workbench.core.hashing import sha256_file
from workbench.serving.loader import ARTIFACT_SHA256_TAG, load_source, resolve_source


def tamper(path: Path) -> tuple[str, str]:
    """Flip the pickle's last byte; return (recorded digest, new digest)."""
    before = sha256_file(path)
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x01
    path.write_bytes(bytes(data))
    return before, sha256_file(path)


def test_store_folder_loads_and_keeps_the_signature(store_folder: Path) -> None:
    source = resolve_source(str(store_folder), trust_unverified=True)
    assert source.name == NAME and source.version == "1" and source.trusted
    assert source.path == f"{store_folder}/model.pkl"
    assert source.sha256 == sha256_file(store_folder / "model.pkl")
    model = load_source(source)
    assert type(model).__name__ == "Pipeline"
    assert json.loads(source.signature["inputs"])[0]["name"] == "mean_radius"  # type: ignore[index]


def test_tampered_store_file_is_refused_naming_file_and_both_digests(store_folder: Path) -> None:
    recorded, actual = tamper(store_folder / "model.pkl")
    with pytest.raises(IntegrityError) as info:
        load_source(resolve_source(str(store_folder), trust_unverified=True))
    message = str(info.value)
    assert str(store_folder / "model.pkl") in message and recorded in message and actual in message


def test_store_record_without_digest_is_refused(store_folder: Path) -> None:
    record = json.loads((store_folder / "model.json").read_text())
    del record["sha256"]
    (store_folder / "model.json").write_text(json.dumps(record))
    with pytest.raises(IntegrityError, match="no sha256"):
        resolve_source(str(store_folder), trust_unverified=True)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="no such model-store folder"):
        resolve_source(str(tmp_path / "nothing"))
    with pytest.raises(WorkbenchError, match="not a models:/"):
        resolve_source("http://example.invalid/model")


@pytest.mark.slow
def test_serving_from_the_store_never_imports_mlflow(store_folder: Path) -> None:
    code = (
        "import sys\n"
        "from workbench.serving.loader import resolve_source\n"
        "from workbench.serving.server import build_app\n"
        f"build_app(resolve_source({str(store_folder)!r}, trust_unverified=True), 1024, False)\n"
        "print('MLFLOW', 'mlflow' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert "MLFLOW False" in out


@pytest.mark.slow
def test_models_uri_by_alias_and_version_pins_the_store_file(
    registered_project: Registered,
) -> None:
    by_alias = resolve_source(f"models:/{NAME}@champion")
    by_version = resolve_source(f"models:/{NAME}/{registered_project.version}")
    for source in (by_alias, by_version):
        assert source.path == f"{registered_project.store_folder}/model.pkl"
        assert source.version == registered_project.version and source.verified
        assert source.signature is not None
    assert by_alias.alias == "champion" and by_version.alias == ""
    assert type(load_source(by_alias)).__name__ == "Pipeline"
    with pytest.raises(WorkbenchError, match="no such registered model version"):
        resolve_source(f"models:/{NAME}@nobody")
    run = resolve_source(f"runs:/{registered_project.run_id}/model")
    assert run.path == by_alias.path and run.version == registered_project.version


@pytest.mark.slow
def test_tampered_registered_file_is_refused(
    registered_project: Registered, tmp_path: Path
) -> None:
    import mlflow

    from workbench.models.store import SHA256_TAG, STORE_URI_TAG

    copy = tmp_path / "copy"
    copy.mkdir()
    for f in ("model.pkl", "model.json"):
        (copy / f).write_bytes((registered_project.store_folder / f).read_bytes())
    # point a new version at a tampered copy whose tag still holds the original digest
    client = mlflow.MlflowClient()
    version = registered_project.version
    client.set_model_version_tag(NAME, version, STORE_URI_TAG, str(copy))
    try:
        recorded, actual = tamper(copy / "model.pkl")
        source = resolve_source(f"models:/{NAME}/{version}")
        assert source.sha256 == recorded
        with pytest.raises(IntegrityError) as info:
            load_source(source)
        assert recorded in str(info.value) and actual in str(info.value)
        assert str(copy / "model.pkl") in str(info.value)
    finally:
        client.set_model_version_tag(
            NAME, version, STORE_URI_TAG, str(registered_project.store_folder)
        )
    assert client.get_model_version(NAME, version).tags[SHA256_TAG] == recorded


@pytest.mark.slow
def test_fallback_to_the_mlflow_artifact_follows_the_rule(registered_project: Registered) -> None:
    import mlflow

    # another model than the champion's (an identical one would reuse the champion's version)
    model = example_model().set_params(classifier__max_iter=999)
    reg = register_model(registered_project.root, model, alias="", store_file=False)
    uri = f"models:/{NAME}/{reg.version}"
    client = mlflow.MlflowClient()
    # log_model recorded the artifact's own digest (a local artifact store): verified as is.
    recorded = client.get_model_version(NAME, reg.version).tags[ARTIFACT_SHA256_TAG]
    logged = resolve_source(uri)
    pickled = Path(logged.path) / "model.pkl"  # the MLflow model folder, read in place
    assert logged.format == "mlflow" and not logged.cleanup
    assert logged.verified and logged.sha256 == recorded == sha256_file(pickled)
    # Without that tag (a remote artifact store, or logged before the tag existed) the artifact's
    # bytes differ from the store's digest: unverified, refused with the digests named.
    client.delete_model_version_tag(NAME, reg.version, ARTIFACT_SHA256_TAG)
    with pytest.raises(IntegrityError) as info:
        resolve_source(uri)
    message = str(info.value)
    assert "model.pkl" in message and "--trust-unverified" in message
    assert client.get_model_version(NAME, reg.version).tags["workbench.sha256"] in message
    # Trusted explicitly: loads, marked unverified.
    trusted = resolve_source(uri, trust_unverified=True)
    assert not trusted.verified and type(load_source(trusted)).__name__ == "Pipeline"
    # The artifact's own digest recorded: verified without trust.
    client.set_model_version_tag(NAME, reg.version, ARTIFACT_SHA256_TAG, sha256_file(pickled))
    verified = resolve_source(uri)
    assert verified.verified and verified.sha256 == sha256_file(pickled)
    # A recorded artifact digest that differs: refused even when trusted.
    client.set_model_version_tag(NAME, reg.version, ARTIFACT_SHA256_TAG, "0" * 64)
    with pytest.raises(IntegrityError, match="changed after it was logged"):
        resolve_source(uri, trust_unverified=True)


def test_startup_log_redacts_credentials_in_uris() -> None:
    from workbench.serving.server import redact

    assert redact("s3://AKIA:secret@bucket/models/m/1") == "s3://AKIA:***@bucket/models/m/1"
    assert redact("models:/m@champion") == "models:/m@champion"
    # the one redaction of workbench.core.redact: a password holding `/` or a space is hidden too
    line = redact("postgresql://u:p/w rd@db.example.org/models")
    assert "p/w" not in line and "rd@" not in line, line
