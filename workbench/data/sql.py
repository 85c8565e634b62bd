"""DataFrames from and to SQL databases by SQLAlchemy URL, with `table=` or `query=`.

Writes run inside one transaction (`engine.begin()`), so a failed write leaves the table as it
was. A relative `sqlite:///x.db` resolves against the project root like every other path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import DataError
from workbench.data.uris import redact, sql_url

if TYPE_CHECKING:
    import pandas as pd


def _engine(uri: str) -> Any:
    import sqlalchemy
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return sqlalchemy.create_engine(sql_url(uri))
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DataError(
            f"{redact(uri)}: unsupported SQL URL or missing driver: {redact(str(exc))}"
        ) from exc


def _sqlite_file(uri: str) -> Path | None:
    url = sql_url(uri)
    if not url.startswith("sqlite:///"):
        return None
    name = url[len("sqlite:///") :].split("?", 1)[0]
    return None if name in ("", ":memory:") else Path(name)


def _error(uri: str, exc: BaseException) -> DataError:
    from sqlalchemy.exc import DBAPIError

    # pandas wraps SQLAlchemy's error in its own DatabaseError; the driver's text is underneath
    while not isinstance(exc, DBAPIError) and isinstance(exc.__cause__, Exception):
        exc = exc.__cause__

    detail = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    detail = detail.strip().splitlines()[0] if detail.strip() else type(exc).__name__
    lowered = detail.lower()
    if "password" in lowered or "authentication" in lowered or "access denied" in lowered:
        return DataError(f"{redact(uri)}: authentication failed; check the user and password")
    return DataError(f"{redact(uri)}: {redact(detail)}")


def load_sql(uri: str, options: Mapping[str, Any]) -> pd.DataFrame:
    import pandas as pd
    import sqlalchemy
    from sqlalchemy.exc import SQLAlchemyError

    opts = dict(options)
    table, query = opts.pop("table", None), opts.pop("query", None)
    if (table is None) == (query is None):
        raise DataError(f"{redact(uri)}: give exactly one of table= or query=")
    sqlite_file = _sqlite_file(uri)
    if sqlite_file is not None and not sqlite_file.is_file():
        # sqlite would silently create an empty database here
        raise DataError(f"{redact(uri)}: database file not found ({sqlite_file})")
    engine = _engine(uri)
    try:
        with engine.connect() as conn:
            if table is not None:
                schema = opts.get("schema")
                if not sqlalchemy.inspect(conn).has_table(table, schema=schema):
                    known = sorted(sqlalchemy.inspect(conn).get_table_names(schema=schema))
                    raise DataError(
                        f"{redact(uri)}: table {table!r} not found "
                        f"(tables: {', '.join(known) or 'none'})"
                    )
                return pd.read_sql_table(table, conn, **opts)
            return pd.read_sql_query(sqlalchemy.text(query), conn, **opts)
    except (SQLAlchemyError, pd.errors.DatabaseError) as exc:
        raise _error(uri, exc) from exc
    finally:
        engine.dispose()


def save_sql(df: pd.DataFrame, uri: str, options: Mapping[str, Any]) -> str:
    from sqlalchemy.exc import SQLAlchemyError

    opts = dict(options)
    table = opts.pop("table", None)
    if not table:
        raise DataError(f"{redact(uri)}: saving to SQL needs table=")
    if "query" in opts:
        raise DataError(f"{redact(uri)}: query= is for load; save takes table=")
    opts.setdefault("index", False)
    sqlite_file = _sqlite_file(uri)
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    engine = _engine(uri)
    try:
        with engine.begin() as conn:
            df.to_sql(table, conn, **opts)
    except ValueError as exc:  # pandas: "Table 't' already exists." with if_exists="fail"
        raise DataError(
            f"{redact(uri)}: cannot write table {table!r}: {exc} "
            "(pass if_exists='replace' or if_exists='append')"
        ) from exc
    except SQLAlchemyError as exc:
        raise _error(uri, exc) from exc
    finally:
        engine.dispose()
    return redact(sql_url(uri))
