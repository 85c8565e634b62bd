"""models:/ lookups read straight from MLflow's SQL registry tables, without importing mlflow.

Why: importing mlflow costs about two seconds (more under load) and ~100 MB, all to answer
"which version does this alias name, and what are its tags". For a SQL tracking/registry store
(the embedded `sqlite:///<project>/mlflow.db`, or PostgreSQL/MySQL/MSSQL for teams) one SELECT
over `registered_models`, `registered_model_aliases`, `model_versions` and `model_version_tags`
answers it. The tables are workbench.core.mlflow_schema's (MLflow's registry layout: every table
keyed by `workspace`, `name`[, `version`]; deleted versions kept with
`current_stage = 'Deleted_Internal'`), read the way its SqlAlchemyStore reads them: the default
workspace, deleted versions excluded, `@latest` meaning the highest live version. Names and
aliases are bound parameters, never formatted into the SQL.

On a SQLite store (the default) the query runs through the standard library's sqlite3
(`mlflow_schema.read_registry_version_sqlite`): SQLAlchemy's import alone cost about as much as
the rest of the lookup, at every server start. Other databases go through SQLAlchemy.

Anything this module cannot answer (another store kind, a schema revision mlflow_schema does not
know, an unreachable database) raises `RegistryUnavailable`, and the caller falls back to mlflow.
The SQLite file is opened read-only (`mode=ro`), so a lookup never creates or migrates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from workbench.core.errors import WorkbenchError
from workbench.core.sqlstore import is_sql_uri

# workbench.core.mlflow_schema's table clauses import SQLAlchemy: used for non-SQLite stores only
LATEST = "latest"  # MLflow's reserved alias (case-insensitive): the highest live version

_MODELS = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")


class RegistryUnavailable(Exception):
    """The SQL path cannot answer (not a SQL store, unknown schema, database unreachable)."""


@dataclass(frozen=True)
class ModelRef:
    """A parsed `models:/NAME@ALIAS` or `models:/NAME/VERSION`."""

    uri: str
    name: str
    alias: str = ""
    version: str = ""

    def not_found(self, reason: str) -> WorkbenchError:
        """The one error both lookup paths raise for a missing model, alias or version."""
        return WorkbenchError(f"{self.uri}: no such registered model version ({reason})")

    def missing_target(self) -> WorkbenchError:
        """The model exists but the alias or version does not."""
        if self.alias.lower() == LATEST:
            return self.not_found(f"model {self.name!r} has no versions")
        if self.alias:
            return self.not_found(f"model {self.name!r} has no alias {self.alias!r}")
        return self.not_found(f"model {self.name!r} has no version {self.version}")

    def missing_model(self) -> WorkbenchError:
        return self.not_found(f"no registered model named {self.name!r}")


def parse_models_uri(uri: str) -> ModelRef:
    match = _MODELS.match(uri)
    if not match:
        raise WorkbenchError(f"{uri}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
    version = str(int(match["version"])) if match["version"] else ""
    return ModelRef(uri, match["name"], match["alias"] or "", version)


@dataclass(frozen=True)
class VersionRecord:
    """What a lookup found: the pinned version, its tags, and where MLflow keeps its files."""

    name: str
    version: str
    tags: dict[str, str] = field(default_factory=dict)
    storage_location: str = ""


def _engine(uri: str) -> Any:
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    url = sqlalchemy.engine.make_url(uri)
    if url.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(url, poolclass=NullPool)
    database = url.database or ""
    if database in ("", ":memory:") or not Path(database).is_file():
        raise RegistryUnavailable(f"no SQLite registry file at {database or '(memory)'}")
    import sqlite3

    ro_uri = f"file:{quote(str(Path(database).resolve()))}?mode=ro"
    return sqlalchemy.create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(ro_uri, uri=True), poolclass=NullPool
    )


def lookup_query(ref: ModelRef) -> Any:
    """One SELECT: the model's row, outer-joined to the target version and its tags.

    No row: the model is not registered. A row with a NULL version: the alias or version is
    missing. Otherwise one row per tag (one row with NULL key when the version has no tags).
    """
    from sqlalchemy import and_, func, literal, select

    from workbench.core import mlflow_schema as schema

    rm = schema.REGISTERED_MODELS
    mv = schema.MODEL_VERSIONS
    tags = schema.MODEL_VERSION_TAGS
    joined: Any = rm
    if ref.alias.lower() == LATEST:
        live = schema.MODEL_VERSIONS.alias("live")
        target: Any = (
            select(func.max(live.c.version))
            .where(
                live.c.workspace == rm.c.workspace,
                live.c.name == rm.c.name,
                live.c.current_stage != schema.DELETED_STAGE,
            )
            .scalar_subquery()
        )
    elif ref.alias:
        aliases = schema.REGISTERED_MODEL_ALIASES
        joined = joined.outerjoin(
            aliases,
            and_(
                aliases.c.workspace == rm.c.workspace,
                aliases.c.name == rm.c.name,
                aliases.c.alias == ref.alias,
            ),
        )
        target = aliases.c.version
    else:
        target = literal(int(ref.version))
    joined = joined.outerjoin(
        mv,
        and_(
            mv.c.workspace == rm.c.workspace,
            mv.c.name == rm.c.name,
            mv.c.version == target,
            mv.c.current_stage != schema.DELETED_STAGE,
        ),
    ).outerjoin(
        tags,
        and_(
            tags.c.workspace == mv.c.workspace,
            tags.c.name == mv.c.name,
            tags.c.version == mv.c.version,
        ),
    )
    return (
        select(mv.c.version, mv.c.storage_location, tags.c.key, tags.c.value)
        .select_from(joined)
        .where(rm.c.workspace == schema.DEFAULT_WORKSPACE, rm.c.name == ref.name)
    )


def lookup_sql(ref: ModelRef, registry_uri: str) -> VersionRecord:
    """The version `ref` names, from the SQL registry at `registry_uri` (read-only)."""
    if not is_sql_uri(registry_uri):
        raise RegistryUnavailable("not a SQL registry")
    if registry_uri.split(":", 1)[0] == "sqlite":
        rows = _rows_sqlite(ref, registry_uri)
    else:
        rows = _rows_sqlalchemy(ref, registry_uri)
    if not rows:
        raise ref.missing_model()
    if rows[0][0] is None:
        raise ref.missing_target()
    tags = {str(key): "" if value is None else str(value) for _, _, key, value in rows if key}
    return VersionRecord(ref.name, str(rows[0][0]), tags, str(rows[0][1] or ""))


def sqlite_database(registry_uri: str) -> str:
    """The file of a `sqlite:///PATH` URI (SQLAlchemy's spelling: `sqlite:////abs`, `sqlite:///rel`),
    percent-decoded and without a query, as SQLAlchemy's `make_url` reads it."""
    from urllib.parse import unquote

    rest = registry_uri.split(":", 1)[1]
    if not rest.startswith("///"):
        raise RegistryUnavailable("not a sqlite:/// file URI")
    return unquote(rest[3:].split("?", 1)[0])


def _rows_sqlite(ref: ModelRef, registry_uri: str) -> list[Any]:
    import sqlite3

    from workbench.core.mlflow_schema import UnknownSchema, read_registry_version_sqlite

    database = sqlite_database(registry_uri)
    if database in ("", ":memory:") or not Path(database).is_file():
        raise RegistryUnavailable(f"no SQLite registry file at {database or '(memory)'}")
    try:
        return read_registry_version_sqlite(
            database,
            ref.name,
            alias=ref.alias,
            version=ref.version,
            latest=ref.alias.lower() == LATEST,
        )
    except UnknownSchema as exc:  # a layout this module was not checked against: ask mlflow
        raise RegistryUnavailable(str(exc)) from exc
    except sqlite3.Error as exc:  # missing tables or columns, a locked or corrupt file
        raise RegistryUnavailable(f"registry query failed ({type(exc).__name__})") from exc


def _rows_sqlalchemy(ref: ModelRef, registry_uri: str) -> list[Any]:
    try:
        import sqlalchemy.exc

        from workbench.core.mlflow_schema import UnknownSchema, check_schema
    except ImportError as exc:  # pragma: no cover - sqlalchemy comes with mlflow
        raise RegistryUnavailable(f"sqlalchemy is not installed: {exc}") from exc
    try:
        engine = _engine(registry_uri)
    except (ImportError, sqlalchemy.exc.ArgumentError) as exc:  # e.g. no database driver
        raise RegistryUnavailable(f"cannot open the registry database: {exc}") from exc
    try:
        with engine.connect() as conn:  # only reads; the transaction is rolled back on exit
            check_schema(conn)
            return list(conn.execute(lookup_query(ref)).all())
    except UnknownSchema as exc:  # a layout this module was not checked against: ask mlflow
        raise RegistryUnavailable(str(exc)) from exc
    except sqlalchemy.exc.SQLAlchemyError as exc:
        # missing tables or columns (another schema version), an unreachable server: let mlflow
        # answer; only the exception's kind is kept, never the URL (it may hold a password)
        raise RegistryUnavailable(f"registry query failed ({type(exc).__name__})") from exc
    finally:
        engine.dispose()
