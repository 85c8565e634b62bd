"""models:/ lookups straight from MLflow's SQL tables agree with MlflowClient, without mlflow.

The registry here holds: version 1 (alias champion), version 2 (alias challenger) and version 3,
deleted through MLflow (kept in the table as Deleted_Internal), so `@latest` must be 2.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving_helpers import (
    NAME,
    REPO,
    Registered,
    example_model,
    register_model,
    training_frame,
)

from workbench.core.errors import WorkbenchError
from workbench.core.settings import settings
from workbench.serving import registry
from workbench.serving.signature import signature_from_dict
from workbench.serving.sqlregistry import (
    RegistryUnavailable,
    is_sql_uri,
    lookup_query,
    lookup_sql,
    parse_models_uri,
    sqlite_database,
)


@pytest.fixture(scope="module")
def three_versions(registered_project: Registered) -> Iterator[Registered]:
    import mlflow

    # other models than the champion: one identical to it would reuse version 1 (model_reuse.py)
    x, y = training_frame()
    for C, alias in ((0.5, "challenger"), (0.25, "")):
        other = example_model().set_params(classifier__C=C).fit(x, y)
        third = register_model(registered_project.root, other, alias=alias)
    mlflow.MlflowClient().delete_model_version(NAME, third.version)
    yield registered_project


@pytest.mark.slow
@pytest.mark.parametrize(
    ("uri", "version"),
    [
        (f"models:/{NAME}@champion", "1"),
        (f"models:/{NAME}@challenger", "2"),
        (f"models:/{NAME}@latest", "2"),
        (f"models:/{NAME}@LATEST", "2"),
        (f"models:/{NAME}/1", "1"),
        (f"models:/{NAME}/2", "2"),
    ],
)
def test_sql_and_mlflow_lookups_agree(three_versions: Registered, uri: str, version: str) -> None:
    ref = parse_models_uri(uri)
    by_sql = lookup_sql(ref, settings().registry_uri)
    by_mlflow = registry.lookup_mlflow(ref)
    assert by_sql.version == by_mlflow.version == version
    assert by_sql.tags == by_mlflow.tags
    assert by_sql.tags["workbench.sha256"] and by_sql.tags["workbench.model_store_uri"]
    assert by_sql.storage_location.startswith("file://")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("models:/no-such-model@champion", "no registered model named 'no-such-model'"),
        ("models:/no-such-model/1", "no registered model named 'no-such-model'"),
        (f"models:/{NAME}@nobody", f"model '{NAME}' has no alias 'nobody'"),
        (f"models:/{NAME}/9", f"model '{NAME}' has no version 9"),
        (f"models:/{NAME}/3", f"model '{NAME}' has no version 3"),  # deleted
    ],
)
def test_sql_and_mlflow_give_the_same_clear_errors(
    three_versions: Registered, uri: str, reason: str
) -> None:
    ref = parse_models_uri(uri)
    with pytest.raises(WorkbenchError) as by_sql:
        lookup_sql(ref, settings().registry_uri)
    with pytest.raises(WorkbenchError) as by_mlflow:
        registry.lookup_mlflow(ref)
    expected = f"{uri}: no such registered model version ({reason})"
    assert str(by_sql.value) == str(by_mlflow.value) == expected


@pytest.mark.slow
@pytest.mark.parametrize(
    "uri",
    [
        f"models:/{NAME}@champion",
        f"models:/{NAME}@LATEST",
        f"models:/{NAME}/2",
        f"models:/{NAME}/3",  # deleted
        f"models:/{NAME}/9",
        f"models:/{NAME}@nobody",
        "models:/no-such-model@champion",
    ],
)
def test_the_sqlite3_query_reads_the_same_rows_as_the_sqlalchemy_one(
    three_versions: Registered, uri: str
) -> None:
    """The server reads a SQLite store with the standard library; other databases through
    SQLAlchemy's query. Both must find the same rows on one store."""
    import sqlalchemy

    from workbench.core.mlflow_schema import read_registry_version_sqlite

    ref = parse_models_uri(uri)
    database = sqlite_database(settings().registry_uri)
    by_sqlite3 = read_registry_version_sqlite(
        database,
        ref.name,
        alias=ref.alias,
        version=ref.version,
        latest=ref.alias.lower() == "latest",
    )
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            by_sqlalchemy = [tuple(row) for row in conn.execute(lookup_query(ref)).all()]
    finally:
        engine.dispose()
    assert sorted(by_sqlite3, key=repr) == sorted(by_sqlalchemy, key=repr)
    assert by_sqlite3 or ref.name == "no-such-model"


@pytest.mark.slow
def test_resolving_and_loading_from_sqlite_never_imports_mlflow(three_versions: Registered) -> None:
    code = (
        "import sys\n"
        "from workbench.serving.loader import resolve_source\n"
        "from workbench.serving.server import build_app\n"
        f"source = resolve_source('models:/{NAME}@challenger')\n"
        "build_app(source, 1024, False)\n"
        "print(source.version, source.alias, source.signature is not None)\n"
        "print('MLFLOW', 'mlflow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=three_versions.root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["2 challenger True", "MLFLOW False"]


@pytest.mark.slow
def test_a_missing_store_file_needs_mlflow_with_the_version_pinned(
    three_versions: Registered,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow

    from workbench.models.store import STORE_URI_TAG

    client = mlflow.MlflowClient()
    client.set_model_version_tag(NAME, "2", STORE_URI_TAG, str(tmp_path / "gone" / "model.pkl"))
    try:
        # MLflow's own copy sits in a local folder: read in place, still without mlflow
        local = registry.resolve_registered(
            f"models:/{NAME}@challenger", trust_unverified=False, allow_mlflow=False
        )
        assert (local.format, local.version, local.alias) == ("mlflow", "2", "challenger")
        assert local.verified and not local.cleanup
        # an artifact store elsewhere (S3, a tracking server): a child with mlflow must fetch it
        with monkeypatch.context() as m:
            m.setattr(registry, "_local_folder", lambda location: None)
            with pytest.raises(registry.NeedsMlflow) as need:
                registry.resolve_registered(
                    f"models:/{NAME}@challenger", trust_unverified=False, allow_mlflow=False
                )
    finally:
        client.set_model_version_tag(
            NAME, "2", STORE_URI_TAG, str(three_versions.root / "models" / NAME / "2" / "model.pkl")
        )
    assert (need.value.uri, need.value.alias) == (f"models:/{NAME}/2", "challenger")
    # the child labels the pinned version with the alias it was reached by
    registry.main([f"models:/{NAME}/2", "--alias", "challenger"])
    printed = json.loads(capsys.readouterr().out)
    assert (printed["version"], printed["alias"]) == ("2", "challenger")


def test_other_stores_and_unknown_schemas_fall_back_to_mlflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = parse_models_uri("models:/m@champion")
    assert is_sql_uri("sqlite:////x/mlflow.db") and is_sql_uri("postgresql+psycopg2://h/db")
    assert not is_sql_uri("http://127.0.0.1:5000") and not is_sql_uri("databricks")
    with pytest.raises(RegistryUnavailable):
        lookup_sql(ref, "http://127.0.0.1:5000")
    missing = tmp_path / "missing.db"
    with pytest.raises(RegistryUnavailable):
        lookup_sql(ref, f"sqlite:///{missing}")
    assert not missing.exists()  # read-only: never created
    empty = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(empty)) as conn, conn:
        conn.execute("create table t (x)")
    with pytest.raises(RegistryUnavailable, match="no alembic_version table"):
        lookup_sql(ref, f"sqlite:///{empty}")
    # the server process never imports mlflow: it is told to resolve in a child instead
    monkeypatch.setenv("WORKBENCH_PROJECT", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    with pytest.raises(registry.NeedsMlflow) as need:
        registry.lookup_version(ref, allow_mlflow=False)
    assert (need.value.uri, need.value.alias) == ("models:/m@champion", "")


def test_the_query_compiles_for_every_sql_backend_mlflow_supports() -> None:
    from sqlalchemy.dialects import mssql, mysql, postgresql, sqlite

    for uri in ("models:/m@champion", "models:/m/3", "models:/m@latest"):
        query = lookup_query(parse_models_uri(uri))
        for dialect in (sqlite.dialect(), postgresql.dialect(), mysql.dialect(), mssql.dialect()):
            text = str(query.compile(dialect=dialect))
            assert "model_versions" in text and "workspace" in text
            assert "Deleted_Internal" in json.dumps(query.compile().params)


def test_bad_models_uri_is_a_clear_error() -> None:
    with pytest.raises(WorkbenchError, match="expected models:/NAME@ALIAS"):
        parse_models_uri("models:/m")


@pytest.mark.slow
def test_a_store_record_without_signature_reads_the_local_mlmodel_not_mlflow(
    three_versions: Registered,
) -> None:
    """Store files written before model.json carried the signature: MLflow's MLmodel is read
    from the version's local storage location instead of downloading through mlflow."""
    record_path = three_versions.root / "models" / NAME / "1" / "model.json"
    saved = record_path.read_text()
    record = json.loads(saved)
    logged = record.pop("signature")
    record_path.write_text(json.dumps(record))
    try:
        source = registry.resolve_registered(
            f"models:/{NAME}/1", trust_unverified=False, allow_mlflow=False
        )
    finally:
        record_path.write_text(saved)
    from_mlmodel, from_record = signature_from_dict(source.signature), signature_from_dict(logged)
    assert from_mlmodel is not None and from_mlmodel.inputs == from_record.inputs  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "uri",
    [
        "sqlite:////tmp/a%20b/mlflow.db",
        "sqlite:///relative/mlflow.db",
        "sqlite:////tmp/x.db?mode=ro",
        "sqlite:////tmp/100%25/mlflow.db",
    ],
)
def test_the_sqlite_file_is_the_one_sqlalchemy_and_so_mlflow_would_open(uri: str) -> None:
    import sqlalchemy

    assert sqlite_database(uri) == sqlalchemy.engine.make_url(uri).database
