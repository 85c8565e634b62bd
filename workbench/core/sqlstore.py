"""Which MLflow store URIs are SQL databases that workbench may read directly (narrow queries for
the comparison widget, registry lookups at server start-up) instead of going through MLflow."""

from __future__ import annotations

SQL_SCHEMES = frozenset({"sqlite", "postgresql", "mysql", "mssql"})


def is_sql_uri(uri: str) -> bool:
    """`sqlite:///...`, `postgresql+psycopg2://...`: a store MLflow keeps in a SQL database."""
    scheme = uri.split(":", 1)[0] if "://" in uri else ""
    return scheme.split("+", 1)[0] in SQL_SCHEMES
