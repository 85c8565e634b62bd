"""The registry of artifact codecs (papermill's I/O handlers are the model).

    from workbench.runtime import codecs
    codecs.register(MyCodec())          # one module plus this line adds a format

`encode(value)` asks the registered codecs in order and returns the first that stores the
value exactly: json, then npy, then parquet, then pickle (which takes anything, so it is last).
`get(name)` finds a codec by the format recorded in meta.json. `compare(actual, expected)` is the
comparison every consumer uses (step tests, verification): None when equal, else a message.
"""

from __future__ import annotations

from typing import Any

from workbench.core.errors import ArtifactError
from workbench.runtime.codecs.base import Codec, type_name
from workbench.runtime.codecs.jsonfmt import JsonCodec
from workbench.runtime.codecs.npy import NpyCodec
from workbench.runtime.codecs.parquet import ParquetCodec
from workbench.runtime.codecs.pickled import JoblibCodec, PickleCodec
from workbench.runtime.compare import compare

_CODECS: dict[str, Codec] = {}
FALLBACK = "pickle"


def register(codec: Codec, *, before: str | None = FALLBACK) -> None:
    """Add (or replace) a codec; it is tried before `before` (default: before pickle)."""
    items = [(n, c) for n, c in _CODECS.items() if n != codec.name]
    at = next((i for i, (n, _) in enumerate(items) if n == before), len(items))
    items.insert(at, (codec.name, codec))
    _CODECS.clear()
    _CODECS.update(items)


def codecs() -> tuple[Codec, ...]:
    return tuple(_CODECS.values())


def names() -> tuple[str, ...]:
    return tuple(_CODECS)


def get(name: str) -> Codec:
    try:
        return _CODECS[name]
    except KeyError:
        known = ", ".join(_CODECS)
        raise ArtifactError(f"unknown artifact format {name!r} (known: {known})") from None


def encode(value: Any) -> tuple[Codec, bytes]:
    """The first codec that stores `value` exactly, and the bytes it made."""
    for codec in _CODECS.values():
        data = codec.encode_exact(value)
        if data is not None:
            return codec, data
    fallback = _CODECS[FALLBACK]
    return fallback, fallback.encode(value)


for _codec in (JsonCodec(), NpyCodec(), ParquetCodec(), PickleCodec(), JoblibCodec()):
    register(_codec, before=None)

__all__ = ["Codec", "codecs", "compare", "encode", "get", "names", "register", "type_name"]
