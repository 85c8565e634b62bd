"""Step values on disk or in object storage, in one layout shared by the local runner and Argo.

An artifact URI names a folder (a local path or an fsspec URL such as s3://bucket/key). It holds
  data.<ext>   the value: .parquet (pandas DataFrame/Series), .npy (numeric ndarray),
               .json (plain JSON values that round-trip exactly), .joblib (anything else,
               cloudpickle when plain pickle cannot)
  sha256       hex digest of the data file, one line (Argo reads it as an output parameter)
  meta.json    {"format", "sha256", "type"}
Pickled formats are checked against their recorded sha256 before they are loaded.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from typing import Any

from workbench.core.errors import ArtifactError

FORMATS = ("parquet", "npy", "json", "joblib")


def _fs(uri: str) -> tuple[Any, str]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    return fs, path.rstrip("/")


def _is_json_exact(value: Any) -> bool:
    if value is None or type(value) in (str, int, bool):
        return True
    if type(value) is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is list:
        return all(_is_json_exact(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _is_json_exact(v) for k, v in value.items())
    return False


def _encode(value: Any) -> tuple[str, bytes, str]:
    """(format, bytes, type name) for a value: the format is picked by the value's type."""
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if _is_json_exact(value):
        # insertion order kept: a dict's key order is part of its value (and of what prints)
        return "json", json.dumps(value).encode(), kind
    import pandas as pd

    if isinstance(value, pd.DataFrame | pd.Series):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        if all(isinstance(c, str) for c in frame.columns):
            buf = io.BytesIO()
            frame.to_parquet(buf, index=True)
            return "parquet", buf.getvalue(), kind
    import numpy as np

    if isinstance(value, np.ndarray) and value.dtype != object:
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return "npy", buf.getvalue(), kind
    buf = io.BytesIO()
    try:
        import joblib

        joblib.dump(value, buf)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle

        buf = io.BytesIO()
        cloudpickle.dump(value, buf)
    return "joblib", buf.getvalue(), kind


def write_value(value: Any, uri: str) -> str:
    """Write `value` under the folder `uri`; return the data file's sha256."""
    fmt, data, kind = _encode(value)
    digest = hashlib.sha256(data).hexdigest()
    fs, path = _fs(uri)
    try:
        fs.makedirs(path, exist_ok=True)
        for old in FORMATS:  # a re-run may change a value's type: never leave two data files
            if old != fmt and fs.exists(f"{path}/data.{old}"):
                fs.rm(f"{path}/data.{old}")
        fs.pipe_file(f"{path}/data.{fmt}", data)
        fs.pipe_file(f"{path}/sha256", (digest + "\n").encode())
        meta = {"format": fmt, "sha256": digest, "type": kind}
        fs.pipe_file(f"{path}/meta.json", (json.dumps(meta, sort_keys=True) + "\n").encode())
    except OSError as exc:
        raise ArtifactError(f"{uri}: cannot write artifact: {exc}") from exc
    return digest


def read_meta(uri: str) -> dict[str, str]:
    fs, path = _fs(uri)
    try:
        meta: dict[str, str] = json.loads(fs.cat_file(f"{path}/meta.json"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"{uri}: no artifact here (meta.json missing)") from exc
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{uri}: unreadable artifact metadata: {exc}") from exc
    if meta.get("format") not in FORMATS:
        raise ArtifactError(f"{uri}: unknown artifact format {meta.get('format')!r}")
    return meta


def read_digest(uri: str) -> str:
    """The recorded sha256 of the artifact at `uri` (cheap: reads meta.json only)."""
    return read_meta(uri)["sha256"]


def read_value(uri: str) -> Any:
    """Load the value at `uri`, verifying its sha256 first."""
    meta = read_meta(uri)
    fs, path = _fs(uri)
    fmt = meta["format"]
    try:
        data = fs.cat_file(f"{path}/data.{fmt}")
    except (OSError, FileNotFoundError) as exc:
        raise ArtifactError(f"{uri}: data.{fmt} missing or unreadable: {exc}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != meta["sha256"]:
        raise ArtifactError(
            f"{uri}: data.{fmt} has sha256 {actual[:12]}…, recorded {meta['sha256'][:12]}…; "
            "refusing to load a changed artifact"
        )
    if fmt == "json":
        return json.loads(data)
    if fmt == "npy":
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        # From pyarrow's own buffer, not a Python file object: reading through io.BytesIO left
        # pyarrow threads that made about one process exit in 30 abort (SIGABRT, "terminate
        # called without an active exception"), failing steps whose work was done.
        frame = pq.read_table(pa.BufferReader(data)).to_pandas()
        if meta.get("type", "").endswith(".Series"):
            return frame.iloc[:, 0]
        return frame
    import joblib

    return joblib.load(io.BytesIO(data))
