"""The artifact store and its cache entries: one layout, shared by the local runner and Argo.

The store is a local folder (the default, `settings.artifact_store`) or any fsspec URL, e.g.
`s3://bucket/prefix` (MinIO: the endpoint comes from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3,
which botocore reads itself). Layout:

    <store>/<pipeline>/<step>/<cache_key>/<output>/   one artifact folder per output
                                                      (data.<fmt>, sha256, meta.json; see
                                                      workbench.runtime.artifacts)
    <store>/<pipeline>/<step>/<cache_key>/entry.json  the cache entry record, written LAST

Outputs are addressed by their step's cache key, so a finished entry never changes. The record
names every output with the sha256 the runner read back after the step exited. A step process
that dies part-way leaves output folders but no record; the next run with the same key rewrites
them. An entry is trusted only when its record parses, names this key, and every output's
recorded digest (meta.json) equals the one in the record, and the data file itself matches:
its size first (cheap), then its sha256, streamed. An entry that fails is dropped (record first)
and `lookup` says why, so the runner re-runs the step with a note instead of trusting it.

Atomicity: on a local folder the record is written to a temporary name and renamed into place;
on object storage a single PUT is atomic, so the record object is simply written last.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.core import clock
from workbench.core.errors import ArtifactError
from workbench.core.fs import atomic_write_bytes, os_reason
from workbench.core.hashing import CHUNK
from workbench.runtime.artifacts import read_meta

ENTRY_FILE = "entry.json"


@dataclass(frozen=True)
class CacheEntry:
    """A trusted (or listed) cache entry: where it is and what it holds."""

    pipeline: str
    step: str
    key: str
    outputs: dict[str, str]
    created: float
    seconds: float = 0.0
    complete: bool = True
    sizes: dict[str, int] = field(default_factory=dict)  # output -> data file bytes


class EntryRejected(Exception):
    """A recorded cache entry whose data no longer matches its record (already dropped)."""


def _fs(url: str) -> tuple[Any, str]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    return fs, path.rstrip("/")


class ArtifactStore:
    """Artifact folders and cache entry records under one root (local path or fsspec URL)."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.fs, self.path = _fs(self.root)
        self.local = "file" in _protocols(self.fs)

    # -- addresses ---------------------------------------------------------------------------
    def entry_uri(self, pipeline: str, step: str, key: str) -> str:
        return f"{self.root}/{pipeline}/{step}/{key}"

    def output_uri(self, pipeline: str, step: str, key: str, output: str) -> str:
        return f"{self.entry_uri(pipeline, step, key)}/{output}"

    def _entry_path(self, pipeline: str, step: str, key: str) -> str:
        return f"{self.path}/{pipeline}/{step}/{key}"

    # -- entries -----------------------------------------------------------------------------
    def lookup(
        self, pipeline: str, step: str, key: str, outputs: Sequence[str]
    ) -> CacheEntry | None:
        """The entry for `key` if it is complete and its outputs' data still match the record.

        None when there is no usable record; EntryRejected (after removing the entry) when the
        record exists but an output's data changed: size first, then a streamed sha256.
        """
        entry = self._read_record(f"{self._entry_path(pipeline, step, key)}/{ENTRY_FILE}")
        if entry is None or entry.key != key or set(entry.outputs) != set(outputs):
            return None
        for name, digest in entry.outputs.items():
            problem = self._check_output(
                self.output_uri(pipeline, step, key, name), digest, entry.sizes.get(name)
            )
            if problem:
                self.remove(entry)
                raise EntryRejected(
                    f"cache entry {pipeline}/{step}/{key[:12]}: output {name!r} {problem}; "
                    "entry dropped, the step runs again"
                )
        return entry

    def _check_output(self, uri: str, digest: str, size: int | None) -> str:
        """'' when the artifact at `uri` holds exactly the recorded data, else what differs."""
        try:
            meta = read_meta(uri)
        except ArtifactError as exc:
            return f"has unreadable metadata ({exc})"
        if meta.get("sha256") != digest:
            return "metadata names another digest than the cache record"
        data = f"{_fs(uri)[1]}/data.{meta['format']}"
        try:
            if size is not None and int(self.fs.size(data)) != size:
                return f"data.{meta['format']} has {self.fs.size(data)} bytes, recorded {size}"
            actual = hashlib.sha256()
            with self.fs.open(data, "rb") as fh:
                for block in iter(lambda: fh.read(CHUNK), b""):
                    actual.update(block)
        except (OSError, FileNotFoundError) as exc:
            return f"data.{meta['format']} is missing or unreadable ({exc})"
        if actual.hexdigest() != digest:
            return f"data.{meta['format']} has sha256 {actual.hexdigest()[:12]}, recorded {digest[:12]}"
        return ""

    def commit(
        self, pipeline: str, step: str, key: str, outputs: Sequence[str], seconds: float
    ) -> CacheEntry:
        """Record a finished step's outputs (already written by the step) as a cache entry.

        Reads each output's digest back first: a step that exited 0 without writing a declared
        output is an error, and no record is written.
        """
        digests: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for name in outputs:
            uri = self.output_uri(pipeline, step, key, name)
            try:
                meta = read_meta(uri)
                digests[name] = meta["sha256"]
                sizes[name] = int(self.fs.size(f"{_fs(uri)[1]}/data.{meta['format']}"))
            except (ArtifactError, OSError, KeyError) as exc:
                raise ArtifactError(
                    f"step {step}: exited 0 but output {name!r} was not written ({exc})"
                ) from exc
        entry = CacheEntry(
            pipeline, step, key, digests, clock.now(), round(seconds, 3), sizes=sizes
        )
        record = {
            "pipeline": pipeline,
            "step": step,
            "key": key,
            "outputs": digests,
            "sizes": sizes,
            "created": entry.created,
            "seconds": entry.seconds,
        }
        data = (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()
        target = f"{self._entry_path(pipeline, step, key)}/{ENTRY_FILE}"
        try:
            if self.local:
                # a step without outputs has no folder yet; its entry still records that it ran
                atomic_write_bytes(target, data)
            else:
                self.fs.pipe_file(target, data)
        except OSError as exc:
            raise ArtifactError(
                f"step {step}: cannot record the cache entry {self.root}/{pipeline}/{step}/"
                f"{key}/{ENTRY_FILE}: {os_reason(exc)}"
            ) from exc
        return entry

    def _read_record(self, path: str) -> CacheEntry | None:
        try:
            raw = json.loads(self.fs.cat_file(path))
            return CacheEntry(
                pipeline=str(raw["pipeline"]),
                step=str(raw["step"]),
                key=str(raw["key"]),
                outputs={str(k): str(v) for k, v in raw["outputs"].items()},
                created=float(raw["created"]),
                seconds=float(raw.get("seconds", 0.0)),
                sizes={str(k): int(v) for k, v in raw.get("sizes", {}).items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def entries(self, pipeline: str | None = None) -> Iterator[CacheEntry]:
        """Every entry folder in the store; folders without a record are `complete=False`."""
        pattern = f"{self.path}/{pipeline or '*'}/*/*"
        try:
            folders = sorted(self.fs.glob(pattern))
        except FileNotFoundError:
            return
        for folder in folders:
            if not self.fs.isdir(folder):
                continue
            pipe, step, key = folder.rstrip("/").split("/")[-3:]
            entry = self._read_record(f"{folder}/{ENTRY_FILE}")
            if entry is None:
                yield CacheEntry(pipe, step, key, {}, _mtime(self.fs, folder), complete=False)
            else:
                yield entry

    def size(self, entry: CacheEntry) -> int:
        try:
            return int(self.fs.du(self._entry_path(entry.pipeline, entry.step, entry.key)))
        except (OSError, FileNotFoundError):
            return 0

    def remove(self, entry: CacheEntry) -> None:
        """Delete an entry: the record first, so a half-deleted entry is never trusted."""
        folder = self._entry_path(entry.pipeline, entry.step, entry.key)
        record = f"{folder}/{ENTRY_FILE}"
        try:
            if self.fs.exists(record):
                self.fs.rm(record)
            if self.fs.exists(folder):
                self.fs.rm(folder, recursive=True)
        except OSError as exc:  # a read-only store, no permission
            raise ArtifactError(
                f"cannot remove cache entry {self.entry_uri(entry.pipeline, entry.step, entry.key)}"
                f": {os_reason(exc)}"
            ) from exc


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def _mtime(fs: Any, path: str) -> float:
    try:
        info: Mapping[str, Any] = fs.info(path)
    except (OSError, FileNotFoundError):
        return 0.0
    value = info.get("mtime") or info.get("LastModified") or info.get("created") or 0.0
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)
