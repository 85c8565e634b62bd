"""Step values on disk or in object storage, in one layout shared by the local runner and Argo.

An artifact URI names a folder (a local path or an fsspec URL such as s3://bucket/key). It holds
  data.<format>  the value, in the first format of the codec registry
                 (`workbench.runtime.codecs`) that gives it back exactly: json, npy, parquet,
                 else pickle (cloudpickle); `joblib` artifacts of earlier versions still load
  sha256         hex digest of the data file, one line (Argo reads it as an output parameter)
  meta.json      {"format", "sha256", "type"}
Every data file is checked against its recorded sha256 before it is decoded (pickle runs code).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workbench.core.errors import ArtifactError
from workbench.runtime import codecs
from workbench.runtime.codecs.base import type_name


def _fs(uri: str) -> tuple[Any, str]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    return fs, path.rstrip("/")


def encode_value(value: Any) -> tuple[str, bytes, str]:
    """(format, bytes, type name) of a value, by the codec registry."""
    codec, data = codecs.encode(value)
    return codec.name, data, type_name(value)


def decode_value(fmt: str, data: bytes, meta: dict[str, str]) -> Any:
    return codecs.get(fmt).decode(data, meta)


def write_value(value: Any, uri: str) -> str:
    """Write `value` under the folder `uri`; return the data file's sha256."""
    fmt, data, kind = encode_value(value)
    digest = hashlib.sha256(data).hexdigest()
    fs, path = _fs(uri)
    try:
        fs.makedirs(path, exist_ok=True)
        for old in codecs.names():  # a re-run may change a value's type: never two data files
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
    if meta.get("format") not in codecs.names():
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
    return decode_value(fmt, data, meta)
