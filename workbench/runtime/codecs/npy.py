"""`.npy` for plain numpy arrays without Python objects. `np.save` keeps dtype (structured,
datetime and byte-order included), shape and memory order; subclasses (`np.matrix`, masked
arrays, recarrays) would come back as a plain ndarray, so they are not taken here."""

from __future__ import annotations

import io
import sys
from typing import Any

from workbench.runtime.codecs.base import Codec


class NpyCodec(Codec):
    name = "npy"

    def accepts(self, value: Any) -> bool:
        np = sys.modules.get("numpy")
        if np is None or type(value) is not np.ndarray:
            return False
        return not value.dtype.hasobject

    def encode(self, value: Any) -> bytes:
        import numpy as np

        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return buf.getvalue()

    def decode(self, data: bytes, meta: dict[str, str]) -> Any:
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)
