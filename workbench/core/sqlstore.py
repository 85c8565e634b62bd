"""Which MLflow store URIs are SQL databases that workbench may read directly (narrow queries for
the comparison widget, registry lookups at server start-up) instead of going through MLflow."""

from __future__ import annotations

SQL_SCHEMES = frozenset({"sqlite", "postgresql", "mysql", "mssql"})


def is_sql_uri(uri: str) -> bool:
    """`sqlite:///...`, `postgresql+psycopg2://...`: a store MLflow keeps in a SQL database."""
    scheme = uri.split(":", 1)[0] if "://" in uri else ""
    return scheme.split("+", 1)[0] in SQL_SCHEMES


def with_installed_driver(uri: str) -> str:
    """`postgresql://…` spelled for the PostgreSQL driver that is installed.

    SQLAlchemy reads a bare `postgresql://` as psycopg2; workbench's `team` extra installs
    psycopg 3. A URL naming its driver (`postgresql+psycopg2://`) is left as it is.
    """
    if not uri.startswith(("postgresql://", "postgres://")):
        return uri
    import importlib.util

    if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg"):
        return "postgresql+psycopg://" + uri.split("://", 1)[1]
    return uri
