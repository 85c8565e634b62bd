"""cloudpickle for everything else: any object, classes defined in a notebook or a step function
(by value), estimators, sparse matrices, frames parquet cannot keep. Loading pickle runs code,
so the artifact layer checks the data against its recorded sha256 before it gets here.
`joblib` is the format earlier versions wrote; it is still read."""

from __future__ import annotations

import io
from typing import Any

from workbench.runtime.codecs.base import Codec


class PickleCodec(Codec):
    name = "pickle"
    executes_code = True

    def accepts(self, value: Any) -> bool:
        return True

    def encode(self, value: Any) -> bytes:
        import cloudpickle

        return bytes(cloudpickle.dumps(value, protocol=5))

    def decode(self, data: bytes, meta: dict[str, str]) -> Any:
        import pickle

        return pickle.loads(data)  # sha256 checked by read_value before this


class JoblibCodec(Codec):
    """Read-only: artifacts written before the `pickle` format."""

    name = "joblib"
    executes_code = True

    def accepts(self, value: Any) -> bool:
        return False

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError("joblib artifacts are read only; new ones are written as pickle")

    def decode(self, data: bytes, meta: dict[str, str]) -> Any:
        import joblib

        return joblib.load(io.BytesIO(data))
