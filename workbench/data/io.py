"""DataFrame I/O by URI. Relative local paths resolve against the project root, like every
workbench setting, so a notebook in notebooks/ and a pipeline step run from the root read the
same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import DataError
from workbench.core.settings import find_project_root

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def resolve(uri: str) -> str:
    """Absolute form of a local path (project-root relative); URLs pass through."""
    if "://" in uri:
        return uri
    path = Path(uri).expanduser()
    return str(path if path.is_absolute() else find_project_root() / path)


def _format(uri: str) -> str:
    suffix = Path(uri.split("?", 1)[0]).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(f"{uri}: unsupported file type {suffix or '(none)'}; use .csv or .parquet")
    return FORMATS[suffix]


def load(uri: str, **options: Any) -> pd.DataFrame:
    """Read a DataFrame from a csv or parquet file at a local path or fsspec URL."""
    import pandas as pd

    target = resolve(uri)
    fmt = _format(target)
    try:
        if fmt == "csv":
            return pd.read_csv(target, **options)
        return pd.read_parquet(target, **options)
    except FileNotFoundError as exc:
        raise DataError(f"{uri}: file not found") from exc
    except (OSError, ValueError) as exc:
        raise DataError(f"{uri}: cannot read: {exc}") from exc


def save(df: pd.DataFrame, uri: str, **options: Any) -> str:
    """Write a DataFrame as csv or parquet; return the resolved URI."""
    target = resolve(uri)
    fmt = _format(target)
    if "://" not in target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        if fmt == "csv":
            df.to_csv(target, index=False, **options)
        else:
            df.to_parquet(target, **options)
    except OSError as exc:
        raise DataError(f"{uri}: cannot write: {exc}") from exc
    return target
