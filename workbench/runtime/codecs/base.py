"""What an artifact codec is: a format name, which values it takes, encode, decode, compare.

A codec `accepts` a value only when its `decode(encode(v))` gives back exactly `v` (type, dtype,
index, names, order); the registry asks the codecs in order and cloudpickle, which accepts
everything, comes last. Codecs whose exactness cannot be decided from the type alone (parquet)
encode, decode and compare before they say yes (`verified`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Codec(ABC):
    """One artifact format. Subclasses are registered with `workbench.runtime.codecs.register`."""

    #: the format name in meta.json and the data file's suffix (`data.<name>`)
    name: str = ""
    #: whether loading runs code (pickle): such data is checked against its sha256 first (always)
    executes_code: bool = False

    @abstractmethod
    def accepts(self, value: Any) -> bool:
        """Whether this codec stores `value` exactly (cheap checks on the type first)."""

    @abstractmethod
    def encode(self, value: Any) -> bytes: ...

    def encode_exact(self, value: Any) -> bytes | None:
        """The bytes when this codec stores `value` exactly, else None (the registry's question).
        Codecs that cannot decide from the type override this with `verified`."""
        return self.encode(value) if self.accepts(value) else None

    @abstractmethod
    def decode(self, data: bytes, meta: dict[str, str]) -> Any:
        """The value from the bytes; `meta` is meta.json (the value's type name, for one)."""

    def compare(
        self, actual: Any, expected: Any, *, rtol: float = 0.0, atol: float = 0.0
    ) -> str | None:
        """None when equal, else a message naming what differs (see workbench.runtime.compare)."""
        from workbench.runtime.compare import compare

        return compare(actual, expected, rtol=rtol, atol=atol)


def type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def round_trip(codec: Codec, value: Any) -> tuple[bytes, Any] | None:
    """The encoding of `value` and its decoded copy when that copy equals `value` exactly, else
    None. Any error on the way means "not this format", never a crash. The copy is returned so
    that a codec checking more than equality (parquet: the block layout) decodes only once."""
    try:
        data = codec.encode(value)
        back = codec.decode(data, {"type": type_name(value)})
        return (data, back) if codec.compare(back, value) is None else None
    except Exception:  # a library refusing a value means: use another format
        return None


def verified(codec: Codec, value: Any) -> bytes | None:
    """The encoding of `value` when decoding it gives `value` back exactly, else None."""
    checked = round_trip(codec, value)
    return None if checked is None else checked[0]
