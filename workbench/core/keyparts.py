"""The one definition of a step's cache-key material, for any kind of value.

The local runner fills it with digests and parameter texts and hashes the joined string
(`hashing.cache_key`); the Argo emitter fills the same slots with references (an upstream
task's `<output>-sha256` parameter, a workflow parameter) and renders an expression that
`sprig.sha256sum`s the same string in the cluster (`emit.argo.cachekey`). Both read the order,
labels and separators from `key_parts`, so they cannot drift apart; a new kind of material
(an `after:` edge, a file digest) is added here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

V = TypeVar("V")


def key_parts(
    *, code_digest: str, lock_digest: str, inputs: Mapping[str, V], params: Mapping[str, V]
) -> list[str | V]:
    """Literal texts and values in material order: `code=…\\nlock=…`, then `\\ninput:NAME=`
    + value per input, then `\\nparam:NAME=` + value per parameter, each sorted by name."""
    parts: list[str | V] = [f"code={code_digest}\nlock={lock_digest}"]
    for name in sorted(inputs):
        parts += [f"\ninput:{name}=", inputs[name]]
    for name in sorted(params):
        parts += [f"\nparam:{name}=", params[name]]
    return parts
