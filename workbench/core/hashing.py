"""Content hashing shared by the local runner and the Argo manifests.

The step cache key is defined here once, so the key the local runner computes and the key the
Argo workflow computes (with sprig's sha256sum over the same material string) are identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

CHUNK = 1 << 20


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(folder: str | Path, skip: Callable[[Path], bool] | None = None) -> str:
    """One digest over every file below `folder`: sorted relative paths with their sha256.
    `skip(path)` leaves files out (bytecode caches, say). The format is part of what registries
    record (`workbench.artifact_sha256` of an MLflow model folder): never change it."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if skip is not None and skip(path):
            continue
        rel = path.relative_to(root).as_posix()
        digest.update(f"{rel}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def sha256_parts(parts: Iterable[str]) -> str:
    """Digest of several texts, length-prefixed so ("ab", "c") and ("a", "bc") differ."""
    digest = hashlib.sha256()
    for part in parts:
        raw = part.encode("utf-8")
        digest.update(f"{len(raw)}:".encode())
        digest.update(raw)
    return digest.hexdigest()


def cache_key_material(
    *,
    code_digest: str,
    lock_digest: str,
    input_digests: Mapping[str, str],
    params: Mapping[str, str],
) -> str:
    """The text a step's cache key hashes: one `kind:name=value` line each, sorted within kind.

    `params` holds the canonical command-line texts (`workbench.spec.params.param_text`). Argo builds the same
    text from template parameters and hashes it with `sprig.sha256sum`, so both sides agree.
    """
    from workbench.core.keyparts import key_parts

    parts = key_parts(
        code_digest=code_digest, lock_digest=lock_digest, inputs=input_digests, params=params
    )
    return "".join(parts)


def cache_key(
    *,
    code_digest: str,
    lock_digest: str,
    input_digests: Mapping[str, str],
    params: Mapping[str, str],
) -> str:
    """sha256 hex of `cache_key_material`: a valid Argo memoization (ConfigMap) key as it is."""
    return sha256_text(
        cache_key_material(
            code_digest=code_digest,
            lock_digest=lock_digest,
            input_digests=input_digests,
            params=params,
        )
    )
