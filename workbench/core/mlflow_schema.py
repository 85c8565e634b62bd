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

This module imports nothing heavy at import time: the SQLAlchemy table clauses below are built on
first use (PEP 562 `__getattr__`), and the model server's registry lookup on a SQLite store
(`read_registry_version_sqlite`) uses only the standard library's sqlite3, so `workbench serve`
does not pay SQLAlchemy's import (a quarter of a second) to read three small tables.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from workbench.core.errors import WorkbenchError
from workbench.core.sqlstore import is_sql_uri, with_installed_driver

if TYPE_CHECKING:
    import sqlalchemy as sa

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


# MLflow's tables as (table, ((column, SQLAlchemy type name), ...)), by the name exported here
_S, _I, _B, _F, _BOOL = "String", "Integer", "BigInteger", "Float", "Boolean"
_NUMERIC = (("value", _F), ("step", _B), ("timestamp", _B), ("is_nan", _BOOL))
_KEY = (("workspace", _S), ("name", _S))  # the registry: every table keyed by workspace, name
_LAYOUT: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    # ---- tracking ----
    "EXPERIMENTS": (
        "experiments",
        (("experiment_id", _I), ("name", _S), ("artifact_location", _S), ("lifecycle_stage", _S)),
    ),
    "RUNS": (
        "runs",
        (
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
        ),
    ),
    "PARAMS": ("params", (("run_uuid", _S), ("key", _S), ("value", _S))),
    "TAGS": ("tags", (("run_uuid", _S), ("key", _S), ("value", _S))),
    "METRICS": ("metrics", (("run_uuid", _S), ("key", _S), *_NUMERIC)),
    "LATEST_METRICS": ("latest_metrics", (("run_uuid", _S), ("key", _S), *_NUMERIC)),
    # ---- model registry ----
    "REGISTERED_MODELS": ("registered_models", _KEY),
    "MODEL_VERSIONS": (
        "model_versions",
        (
            *_KEY,
            ("version", _I),
            ("current_stage", _S),
            ("storage_location", _S),
            ("run_id", _S),
        ),
    ),
    "MODEL_VERSION_TAGS": (
        "model_version_tags",
        (*_KEY, ("version", _I), ("key", _S), ("value", _S)),
    ),
    "REGISTERED_MODEL_ALIASES": (
        "registered_model_aliases",
        (*_KEY, ("alias", _S), ("version", _I)),
    ),
    "ALEMBIC_VERSION": ("alembic_version", (("version_num", _S),)),
}

if TYPE_CHECKING:  # built by __getattr__ on first use
    EXPERIMENTS: sa.TableClause
    RUNS: sa.TableClause
    PARAMS: sa.TableClause
    TAGS: sa.TableClause
    METRICS: sa.TableClause
    LATEST_METRICS: sa.TableClause
    REGISTERED_MODELS: sa.TableClause
    MODEL_VERSIONS: sa.TableClause
    MODEL_VERSION_TAGS: sa.TableClause
    REGISTERED_MODEL_ALIASES: sa.TableClause
    ALEMBIC_VERSION: sa.TableClause


def __getattr__(name: str) -> Any:
    """The SQLAlchemy table clause `name` (EXPERIMENTS, MODEL_VERSIONS, ...), built once."""
    if name not in _LAYOUT:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import sqlalchemy as sa

    table, columns = _LAYOUT[name]
    clause = sa.table(table, *(sa.column(col, getattr(sa, kind)) for col, kind in columns))
    globals()[name] = clause
    return clause


def schema_revision(conn: sa.Connection) -> str | None:
    """The store's alembic revision, or None when it has no `alembic_version` table."""
    import sqlalchemy as sa

    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    revisions: sa.TableClause = __getattr__("ALEMBIC_VERSION")  # a module global once built
    return conn.scalar(sa.select(revisions.c.version_num))


def check_schema(conn: sa.Connection) -> str:
    """The store's revision when this layout holds for it; else UnknownSchema saying which."""
    return _known(schema_revision(conn))


def _known(revision: str | None) -> str:
    if revision is None:
        raise UnknownSchema("no alembic_version table (not an initialised MLflow store)")
    if revision not in KNOWN_REVISIONS:
        raise UnknownSchema(f"MLflow schema revision {revision} is not one workbench knows")
    return revision


# ---- the registry lookup at server start, on a SQLite store, with the standard library -------
# The same rows as workbench.serving.sqlregistry.lookup_query builds with SQLAlchemy for the other
# databases (tests/serving/test_serving_sqlregistry.py compares the two on one store): the model's
# row, outer-joined to the target version (deleted ones excluded) and that version's tags.
_REGISTRY_SELECT = """
SELECT mv.version, mv.storage_location, t.key, t.value
FROM registered_models AS rm {alias_join}
LEFT OUTER JOIN model_versions AS mv
  ON mv.workspace = rm.workspace AND mv.name = rm.name AND mv.version = {target}
  AND mv.current_stage != :deleted
LEFT OUTER JOIN model_version_tags AS t
  ON t.workspace = mv.workspace AND t.name = mv.name AND t.version = mv.version
WHERE rm.workspace = :workspace AND rm.name = :name
"""
_ALIAS_JOIN = """
LEFT OUTER JOIN registered_model_aliases AS a
  ON a.workspace = rm.workspace AND a.name = rm.name AND a.alias = :alias"""
_LATEST_TARGET = """(SELECT max(live.version) FROM model_versions AS live
  WHERE live.workspace = rm.workspace AND live.name = rm.name AND live.current_stage != :deleted)"""


def registry_select_sqlite(*, latest: bool, alias: bool) -> str:
    """The lookup's SQL text: `:name`, `:workspace`, `:deleted` and `:alias` or `:version` bound.

    `latest`: the highest live version (MLflow's reserved `@latest`); `alias`: the version the
    alias names; neither: the version `:version`. Only values are bound, never formatted in.
    """
    if latest:
        return _REGISTRY_SELECT.format(alias_join="", target=_LATEST_TARGET)
    if alias:
        return _REGISTRY_SELECT.format(alias_join=_ALIAS_JOIN, target="a.version")
    return _REGISTRY_SELECT.format(alias_join="", target=":version")


def read_registry_version_sqlite(
    database: str, name: str, *, alias: str = "", version: str = "", latest: bool = False
) -> list[tuple[Any, ...]]:
    """Rows `(version, storage_location, tag key, tag value)` for a registered model's version in
    the SQLite store file `database`, opened read-only (never created or migrated).

    No row: the model is not registered; one row with a NULL version: the alias or version is
    missing. Raises UnknownSchema for a revision this layout does not know, sqlite3.Error for a
    file that is not a readable MLflow store.
    """
    ro_uri = f"file:{quote(str(Path(database).resolve()))}?mode=ro"
    conn = sqlite3.connect(ro_uri, uri=True)
    try:
        revision = None
        if conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone():
            found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = str(found[0]) if found else None
        _known(revision)
        sql = registry_select_sqlite(latest=latest, alias=bool(alias))
        params: dict[str, Any] = {
            "name": name,
            "workspace": DEFAULT_WORKSPACE,
            "deleted": DELETED_STAGE,
        }
        if alias and not latest:
            params["alias"] = alias
        elif not latest:
            params["version"] = int(version)
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def describe_url(uri: str) -> str:
    """`postgresql://HOST:PORT/DB` for messages: never the user name or password."""
    import sqlalchemy as sa

    try:
        url = sa.engine.make_url(uri)
    except sa.exc.ArgumentError:
        return uri.split("://", 1)[0] + "://…"
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database or ''}"
    return f"{url.get_backend_name()}://{url.host or 'localhost'}:{url.port or 'default port'}/{url.database or ''}"


_ENGINES: OrderedDict[str, sa.Engine] = OrderedDict()
_ENGINES_KEPT = 8
_ENGINES_LOCK = threading.Lock()


def _engine_for(uri: str) -> sa.Engine:
    """One pooled engine per store URI, the last `_ENGINES_KEPT` used. An engine pushed out is
    disposed: dropped with its pool still holding connections, a PostgreSQL driver's would be
    closed only by the garbage collector, which warns (psycopg's `BaseConnection.__del__`)."""
    import sqlalchemy as sa

    with _ENGINES_LOCK:
        engine = _ENGINES.pop(uri, None)
        if engine is None:
            # SQLite: wait for another process's write (a shared study) instead of failing
            connect_args = {"timeout": 60} if uri.startswith("sqlite") else {}
            engine = sa.create_engine(uri, connect_args=connect_args, pool_pre_ping=True)
            if uri.startswith("sqlite"):
                sa.event.listen(engine, "connect", _mlflow_sqlite_pragmas)
        _ENGINES[uri] = engine
        while len(_ENGINES) > _ENGINES_KEPT:
            _ENGINES.popitem(last=False)[1].dispose()
        return engine


def _mlflow_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """What MLflow's SqlAlchemyStore sets on each SQLite session: LIKE is case-sensitive in its
    filter language (SQLite's own LIKE folds ASCII case, so `LIKE 'A01'` matched run `a01`)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA case_sensitive_like = true")
    finally:
        cursor.close()


def sql_engine(uri: str) -> sa.Engine | None:
    """An engine over the SQL store at `uri` when its schema is one this layout knows.

    None (the caller uses MlflowClient) for a non-SQL URI, a SQLite file that does not exist
    yet, a store without MLflow's tables, or an unknown revision (logged). A database that
    cannot be reached is a WorkbenchError naming host and port, without credentials.
    """
    if not is_sql_uri(uri):
        return None
    import sqlalchemy as sa

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
    import sqlalchemy as sa
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
