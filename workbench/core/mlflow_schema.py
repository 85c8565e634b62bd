"""MLflow's SQL table layout, owned here and nowhere else, and the schema revisions it holds for.

Three readers/writers skip MLflow's per-entity API for speed: the comparison widget's narrow run
queries (workbench.tracking.queries.sql), the batched trial writer (workbench.tracking.tuning_log)
and the registry lookup at server start (workbench.serving.sqlregistry). They read and write
MLflow's private tables, so they use the table clauses below and only after `check_schema` has
found the store at a revision this layout was checked against (MLflow's `alembic_version`).
A store at any other revision (a newer MLflow, a half-migrated database) raises `UnknownSchema`
and the callers fall back to `MlflowClient`, which knows its own schema.

Known revisions: MLflow's migrations from `1b5f0d9ad7c1` (workspace columns on experiments and
the registry tables) to `dc11669786a5` (the head of MLflow 3.17); none after the first changes a
column used here. tests/core/test_mlflow_schema.py fails when the installed MLflow's head is not
in the set, so an MLflow upgrade is a conscious review of this file, not a silent misread.

This module imports only SQLAlchemy: the model server uses it without importing mlflow.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workbench.core.errors import WorkbenchError
from workbench.core.sqlstore import is_sql_uri, with_installed_driver

log = logging.getLogger(__name__)

# newest first; see the module docstring before adding one
KNOWN_REVISIONS = (
    "dc11669786a5",
    "75868b020152",
    "b7e2c1a4d9f3",
    "17e22815139b",
    "1971f2d9a75b",
    "6f8d9c3b2a1e",
    "c3d9e7f1a2b4",
    "c1d2e3f4a5b6",
    "a8b9c0d1e2f3",
    "b7e4c1a90f23",
    "89d3d66ed43f",
    "da6fb0208061",
    "7d34483879f0",
    "ae8bbe7743c9",
    "a5b4c3d2e1f0",
    "c3d6457b6d8a",
    "76601a5f987d",
    "e1f2a3b4c5d6",
    "1b5f0d9ad7c1",
)

DEFAULT_WORKSPACE = "default"  # mlflow.utils.workspace_utils.DEFAULT_WORKSPACE_NAME
DELETED_STAGE = "Deleted_Internal"  # registry: a deleted version is kept with this stage


class UnknownSchema(Exception):
    """The store is not at a revision this layout was checked against (or has no tables)."""


def _table(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(col, kind) for col, kind in columns))


_S, _I, _B, _F, _BOOL = sa.String, sa.Integer, sa.BigInteger, sa.Float, sa.Boolean

# ---- tracking ------------------------------------------------------------------------------
EXPERIMENTS = _table(
    "experiments",
    ("experiment_id", _I),
    ("name", _S),
    ("artifact_location", _S),
    ("lifecycle_stage", _S),
)
RUNS = _table(
    "runs",
    ("run_uuid", _S),
    ("name", _S),
    ("source_type", _S),
    ("source_name", _S),
    ("entry_point_name", _S),
    ("user_id", _S),
    ("status", _S),
    ("start_time", _B),
    ("end_time", _B),
    ("deleted_time", _B),
    ("source_version", _S),
    ("lifecycle_stage", _S),
    ("artifact_uri", _S),
    ("experiment_id", _I),
)
PARAMS = _table("params", ("run_uuid", _S), ("key", _S), ("value", _S))
TAGS = _table("tags", ("run_uuid", _S), ("key", _S), ("value", _S))
_NUMERIC = (("value", _F), ("step", _B), ("timestamp", _B), ("is_nan", _BOOL))
METRICS = _table("metrics", ("run_uuid", _S), ("key", _S), *_NUMERIC)
LATEST_METRICS = _table("latest_metrics", ("run_uuid", _S), ("key", _S), *_NUMERIC)

# ---- model registry: every table keyed by workspace, name[, version] -----------------------
_KEY = (("workspace", _S), ("name", _S))
REGISTERED_MODELS = _table("registered_models", *_KEY)
MODEL_VERSIONS = _table(
    "model_versions",
    *_KEY,
    ("version", _I),
    ("current_stage", _S),
    ("storage_location", _S),
    ("run_id", _S),
)
MODEL_VERSION_TAGS = _table(
    "model_version_tags", *_KEY, ("version", _I), ("key", _S), ("value", _S)
)
REGISTERED_MODEL_ALIASES = _table("registered_model_aliases", *_KEY, ("alias", _S), ("version", _I))

ALEMBIC_VERSION = _table("alembic_version", ("version_num", _S))


def schema_revision(conn: sa.Connection) -> str | None:
    """The store's alembic revision, or None when it has no `alembic_version` table."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(sa.select(ALEMBIC_VERSION.c.version_num))


def check_schema(conn: sa.Connection) -> str:
    """The store's revision when this layout holds for it; else UnknownSchema saying which."""
    revision = schema_revision(conn)
    if revision is None:
        raise UnknownSchema("no alembic_version table (not an initialised MLflow store)")
    if revision not in KNOWN_REVISIONS:
        raise UnknownSchema(f"MLflow schema revision {revision} is not one workbench knows")
    return revision


def describe_url(uri: str) -> str:
    """`postgresql://HOST:PORT/DB` for messages: never the user name or password."""
    try:
        url = sa.engine.make_url(uri)
    except sa.exc.ArgumentError:
        return uri.split("://", 1)[0] + "://…"
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database or ''}"
    return f"{url.get_backend_name()}://{url.host or 'localhost'}:{url.port or 'default port'}/{url.database or ''}"


@lru_cache(maxsize=8)
def _engine_for(uri: str) -> sa.Engine:
    # SQLite: wait for another process's write (a shared study) instead of failing at once
    connect_args = {"timeout": 60} if uri.startswith("sqlite") else {}
    return sa.create_engine(uri, connect_args=connect_args, pool_pre_ping=True)


def sql_engine(uri: str) -> sa.Engine | None:
    """An engine over the SQL store at `uri` when its schema is one this layout knows.

    None (the caller uses MlflowClient) for a non-SQL URI, a SQLite file that does not exist
    yet, a store without MLflow's tables, or an unknown revision (logged). A database that
    cannot be reached is a WorkbenchError naming host and port, without credentials.
    """
    if not is_sql_uri(uri):
        return None
    uri = with_installed_driver(uri)
    if uri.startswith("sqlite"):
        path = uri.split(":///", 1)[-1]
        if path != ":memory:" and not Path(path).is_file():
            return None
    engine = _engine_for(uri)
    try:
        with engine.connect() as conn:
            check_schema(conn)
    except UnknownSchema as exc:
        log.info("%s: %s; reading through MlflowClient", describe_url(uri), exc)
        return None
    except sa.exc.OperationalError as exc:
        raise unreachable(uri, exc) from None
    return engine


def unreachable(uri: str, exc: BaseException) -> WorkbenchError:
    """The one error for a tracking database that cannot be reached (no password in it)."""
    return WorkbenchError(
        f"tracking database {describe_url(uri)} cannot be reached ({type(exc).__name__}); "
        "check that the server is running and the host and port are right"
    )


_REACHED: set[str] = set()


def check_reachable(uri: str) -> None:
    """Connect once to a database tracking store (PostgreSQL, MySQL) before MLflow does.

    MLflow retries an unreachable database for minutes and then fails with the driver's
    traceback; this is one WorkbenchError naming host and port, without user or password.
    Checked once per URI and process; a missing driver is left to MLflow's own message.
    (SQLAlchemy is a dependency of mlflow itself, so the notebook image has it.)
    """
    if uri in _REACHED or not is_sql_uri(uri) or uri.startswith("sqlite"):
        return
    from sqlalchemy.pool import NullPool

    try:
        engine = sa.create_engine(
            with_installed_driver(uri), poolclass=NullPool, connect_args={"connect_timeout": 10}
        )
    except (ImportError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError):
        return
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        raise unreachable(uri, exc) from None
    except (ImportError, sa.exc.NoSuchModuleError):
        return
    finally:
        engine.dispose()
    _REACHED.add(uri)
