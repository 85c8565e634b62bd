"""DataFrame I/O by URI: the one entry point that picks local files, object storage or SQL.

Relative local paths (and `sqlite:///relative.db`) resolve against the project root, like every
workbench setting, so a notebook in notebooks/ and a pipeline step run from the root read the
same file. Every failure is a DataError that names the URI with any password redacted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.errors import DataError
from workbench.data.uris import SUPPORTED, kind, local_path, redact, scheme

if TYPE_CHECKING:
    import pandas as pd


def resolve(uri: str) -> str:
    """Absolute form of a local path (project-root relative); URLs pass through."""
    if "://" in uri and not uri.startswith("file://"):
        return uri
    return str(local_path(uri))


def _kind(uri: str, options: dict[str, Any]) -> str:
    if not isinstance(uri, str) or not uri:
        raise DataError(f"{uri!r}: expected a path or URL string")
    found = kind(uri, options)
    if found is None:
        raise DataError(
            f"{redact(uri)}: unsupported scheme {scheme(uri)!r} (supported: {SUPPORTED})"
        )
    if found != "sql" and ("table" in options or "query" in options):
        raise DataError(f"{redact(uri)}: table= and query= apply to SQL URLs only")
    return found


def load(uri: str, **options: Any) -> pd.DataFrame:
    """Read a DataFrame.

    Local path or `file://`, `s3://` (csv/parquet; `storage_options=` or AWS_* variables,
    AWS_ENDPOINT_URL for MinIO), or a SQLAlchemy URL with `table=` or `query=`. Other options go
    to pandas (`read_csv`, `read_parquet`, `read_sql_table`/`read_sql_query`).
    """
    found = _kind(uri, options)
    try:
        if found == "sql":
            from workbench.data.sql import load_sql

            return load_sql(uri, options)
        from workbench.data.files import load_local, load_object

        return load_local(uri, options) if found == "local" else load_object(uri, options)
    except DataError:
        raise
    except Exception as exc:  # a bad keyword (TypeError), a pyarrow option (ArrowException), ...
        raise _unexpected(uri, options, "read", exc) from exc


def save(df: pd.DataFrame, uri: str, **options: Any) -> str:
    """Write a DataFrame (csv/parquet file, object, or SQL `table=`); return the resolved URI.

    Nothing half-written: local files are renamed into place, objects uploaded in one PUT,
    SQL written in one transaction. SQL `if_exists` defaults to pandas' "fail".
    """
    found = _kind(uri, options)
    try:
        if found == "sql":
            from workbench.data.sql import save_sql

            return save_sql(df, uri, options)
        from workbench.data.files import save_local, save_object

        return save_local(df, uri, options) if found == "local" else save_object(df, uri, options)
    except DataError:
        raise
    except Exception as exc:
        raise _unexpected(uri, options, "write", exc) from exc


def _unexpected(uri: str, options: dict[str, Any], action: str, exc: Exception) -> DataError:
    """Whatever pandas, pyarrow, fsspec or a driver raised for this URI and these options, as
    one DataError naming the URI and the options given (secrets masked)."""
    shown = ", ".join(sorted(options)) or "none"
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return DataError(
        f"{redact(uri, options)}: cannot {action} (options: {shown}): "
        f"{type(exc).__name__}: {redact(detail, options)}"
    )
