"""JSON for plain values that JSON gives back exactly: str, int, bool, None, finite floats, and
lists and str-keyed dicts of those (in insertion order). Tuples, other keys, nan: not here."""

from __future__ import annotations

import json
import math
from typing import Any

from workbench.runtime.codecs.base import Codec


def json_exact(value: Any) -> bool:
    if value is None or type(value) in (str, int, bool):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(json_exact(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and json_exact(v) for k, v in value.items())
    return False


class JsonCodec(Codec):
    name = "json"

    def accepts(self, value: Any) -> bool:
        try:
            return json_exact(value)
        except RecursionError:
            return False

    def encode(self, value: Any) -> bytes:
        # no sort_keys: a dict's order is part of its value (iteration order in the next step)
        return json.dumps(value, ensure_ascii=False).encode("utf-8")

    def decode(self, data: bytes, meta: dict[str, str]) -> Any:
        return json.loads(data)
