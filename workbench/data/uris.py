"""Classify a data URI (local file, object storage, SQL) and redact secrets from anything shown.

Every DataError message goes through `redact` (workbench.core.redact, re-exported here), so
neither a `user:password@` in a URL nor a key from storage options can reach a log or a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from workbench.core.redact import redact
from workbench.core.settings import find_project_root

Kind = Literal["local", "object", "sql"]

# fsspec protocols we support as object storage, with the package each one needs.
OBJECT_SCHEMES: dict[str, str] = {"s3": "s3fs", "s3a": "s3fs", "memory": "fsspec"}
# SQLAlchemy dialect names (the part before any "+driver").
SQL_DIALECTS = frozenset(
    {"sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "duckdb"}
)
__all__ = [
    "OBJECT_SCHEMES",
    "SQL_DIALECTS",
    "SUPPORTED",
    "kind",
    "local_path",
    "redact",
    "scheme",
    "sql_url",
]
SUPPORTED = "local paths, file://, s3:// and SQLAlchemy URLs (sqlite://, postgresql://, ...)"


def scheme(uri: str) -> str:
    """The lower-case scheme of a URL ('' for a local path; dialect only for `postgresql+psycopg`)."""
    if "://" not in uri:
        return ""
    return uri.split("://", 1)[0].split("+", 1)[0].lower()


def kind(uri: str, options: Mapping[str, Any]) -> Kind | None:
    """local / object / sql, or None for a scheme we do not support."""
    found = scheme(uri)
    if found in ("", "file"):
        return "local"
    if found in SQL_DIALECTS:
        return "sql"
    if found in OBJECT_SCHEMES:
        return "object"
    return None


def local_path(uri: str) -> Path:
    """A local path or file:// URL as an absolute Path; relative paths resolve at the project root."""
    raw = uri[len("file://") :] if uri.startswith("file://") else uri
    path = Path(raw).expanduser()
    return path if path.is_absolute() else find_project_root() / path


def sql_url(uri: str) -> str:
    """`sqlite:///relative.db` made absolute against the project root; other URLs unchanged."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        relative = uri[len("sqlite:///") :]
        if relative and relative != ":memory:" and not relative.startswith("?"):
            return "sqlite:///" + str(find_project_root() / relative)
    return uri
