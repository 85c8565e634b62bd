"""csv/parquet files on local disk and in object storage (fsspec).

Local writes go to a temporary file in the target folder and are renamed into place, so a
failed write never leaves a half-written file. Object-storage writes serialise into memory first
and upload in one PUT, which S3 makes visible only when complete.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.arrow_memory import arrow_reader
from workbench.core.errors import DataError
from workbench.core.fs import atomic_write_bytes
from workbench.data.uris import OBJECT_SCHEMES, local_path, redact, scheme

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


def file_format(uri: str) -> str:
    suffix = Path(uri.split("?", 1)[0]).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            f"{redact(uri)}: unsupported file type {suffix or '(none)'}; use .csv or .parquet"
        )
    return FORMATS[suffix]


def _read(source: Any, fmt: str, options: Mapping[str, Any]) -> pd.DataFrame:
    import pandas as pd

    if fmt == "csv":
        return pd.read_csv(source, **options)
    return pd.read_parquet(source, **options)


def _serialise(df: pd.DataFrame, fmt: str, options: Mapping[str, Any]) -> bytes:
    buffer = io.BytesIO()
    if fmt == "csv":
        buffer.write(df.to_csv(index=False, **options).encode("utf-8"))
    else:
        df.to_parquet(buffer, **options)
    return buffer.getvalue()


def load_local(uri: str, options: Mapping[str, Any]) -> pd.DataFrame:
    fmt = file_format(uri)
    path = local_path(uri)
    if not path.is_file():
        raise DataError(f"{uri}: file not found ({path})")
    try:
        return _read(path, fmt, options)
    except (OSError, ValueError) as exc:
        raise DataError(f"{uri}: cannot read {fmt}: {redact(str(exc))}") from exc


def save_local(df: pd.DataFrame, uri: str, options: Mapping[str, Any]) -> str:
    fmt = file_format(uri)
    path = local_path(uri)
    try:
        data = _serialise(df, fmt, options)
        atomic_write_bytes(path, data, fsync=False)
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"{uri}: cannot write {fmt}: {redact(str(exc))}") from exc
    return str(path)


def storage_options(uri: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Caller's options, plus the S3 endpoint from AWS_ENDPOINT_URL(_S3) when none is given
    (how MinIO users point every AWS client at their server)."""
    opts = dict(given or {})
    if scheme(uri) in ("s3", "s3a"):
        client_kwargs = dict(opts.get("client_kwargs") or {})
        if "endpoint_url" not in opts and "endpoint_url" not in client_kwargs:
            endpoint = next((os.environ[v] for v in ENDPOINT_VARIABLES if os.environ.get(v)), None)
            if endpoint:
                client_kwargs["endpoint_url"] = endpoint
                opts["client_kwargs"] = client_kwargs
    return opts


def _filesystem(uri: str, opts: Mapping[str, Any]) -> Any:
    import fsspec

    protocol = scheme(uri)
    try:
        fs = fsspec.filesystem(protocol, **opts)
    except ImportError as exc:
        package = OBJECT_SCHEMES.get(protocol, protocol)
        raise DataError(
            f"{redact(uri)}: {protocol}:// needs {package}: pip install {package}"
        ) from exc
    except (TypeError, ValueError) as exc:  # an option the filesystem does not take
        raise DataError(
            f"{redact(uri, opts)}: bad storage_options: {redact(str(exc), opts)}"
        ) from exc
    # fsspec shares instances per option set; a listing cached by an earlier call must not hide
    # a bucket or file created since.
    fs.invalidate_cache()
    return fs


def _bucket_missing(fs: Any, uri: str) -> bool:
    bucket = uri.split("://", 1)[1].split("/", 1)[0]
    try:
        return not fs.exists(bucket)
    except Exception:  # the original error is the one worth reporting
        return False


def _object_error(
    exc: BaseException, fs: Any, uri: str, action: str, opts: Mapping[str, Any]
) -> DataError:
    shown = redact(uri, opts)
    if isinstance(exc, FileNotFoundError):
        if scheme(uri) in ("s3", "s3a") and _bucket_missing(fs, uri):
            bucket = uri.split("://", 1)[1].split("/", 1)[0]
            return DataError(f"{shown}: bucket {bucket!r} not found")
        return DataError(f"{shown}: file not found")
    if isinstance(exc, PermissionError) or type(exc).__name__ in (
        "NoCredentialsError",
        "PartialCredentialsError",
        "ClientError",
    ):
        return DataError(
            f"{shown}: access denied; check the credentials (AWS_ACCESS_KEY_ID/"
            f"AWS_SECRET_ACCESS_KEY or storage_options): {redact(str(exc), opts)}"
        )
    if isinstance(exc, TypeError):  # s3fs hands unknown options to the session only on connect
        return DataError(f"{shown}: bad storage_options: {redact(str(exc), opts)}")
    return DataError(f"{shown}: cannot {action}: {redact(str(exc), opts)}")


def load_object(uri: str, options: Mapping[str, Any]) -> pd.DataFrame:
    fmt = file_format(uri)
    read_options = dict(options)
    opts = storage_options(uri, read_options.pop("storage_options", None))
    fs = _filesystem(uri, opts)
    try:
        with fs.open(uri, "rb") as fh:
            data = fh.read()
    except Exception as exc:
        raise _object_error(exc, fs, uri, "read", opts) from exc
    # parquet through pyarrow reads from pyarrow's own memory (workbench.core.arrow_memory):
    # from a BytesIO, a process could abort at exit after the read was done
    engine = read_options.get("engine", "auto")
    by_pyarrow = fmt == "parquet" and engine in ("auto", "pyarrow")
    source = arrow_reader(data) if by_pyarrow else io.BytesIO(data)
    del data  # one copy of a large object in memory, not two
    try:
        return _read(source, fmt, read_options)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{redact(uri, opts)}: cannot read {fmt}: {redact(str(exc), opts)}"
        ) from exc


def save_object(df: pd.DataFrame, uri: str, options: Mapping[str, Any]) -> str:
    fmt = file_format(uri)
    write_options = dict(options)
    opts = storage_options(uri, write_options.pop("storage_options", None))
    try:
        data = _serialise(df, fmt, write_options)
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(
            f"{redact(uri, opts)}: cannot write {fmt}: {redact(str(exc), opts)}"
        ) from exc
    fs = _filesystem(uri, opts)
    try:
        fs.pipe_file(uri, data)
    except Exception as exc:
        raise _object_error(exc, fs, uri, "write", opts) from exc
    return uri
