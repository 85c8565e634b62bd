"""Compare a pipeline value with the notebook's: the first difference, said precisely.

The one comparison of `productionize --verify` (kept in one module so it can be replaced by the
artifact codec registry's own `compare`). Exact by default: same type, shape, dtype, columns and
their order, index, keys and their order, and bit-equal numbers (NaN equals NaN). A difference
only in floating-point values within RTOL/ATOL is marked `close`: it is accepted only where the
notebook itself is shown not to be bit-reproducible. MLflow run ids (32 hex digits) are new on
every run and compare by form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

RTOL = 1e-7
ATOL = 1e-12
RUN_ID = re.compile(r"[0-9a-f]{32}")
MAX_DEPTH = 6


@dataclass(frozen=True)
class Difference:
    """Where (`path`, e.g. "['a'][3]") and what differs; `close`: only floats, within RTOL."""

    path: str
    what: str
    close: bool = False

    def render(self, name: str) -> str:
        return f"{name}{self.path}: {self.what}"


def _kind(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _floats_close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


def compare_values(expected: Any, actual: Any, path: str = "", depth: int = 0) -> Difference | None:
    """None when `actual` (the pipeline's) equals `expected` (the notebook's)."""
    if type(expected) is not type(actual):
        if type(expected).__qualname__ == type(actual).__qualname__ and hasattr(
            expected, "__dict__"
        ):
            # a class defined in the notebook is a different class object in a step module
            return compare_values(vars(expected), vars(actual), path, depth + 1)
        return Difference(path, f"type: notebook {_kind(expected)}, pipeline {_kind(actual)}")
    if depth > MAX_DEPTH:
        return None if _equal(expected, actual) else Difference(path, "values differ")
    module = type(expected).__module__.split(".")[0]
    if module == "pandas":
        from workbench.verify.compare_frames import compare_pandas

        return compare_pandas(expected, actual, path)
    if module == "numpy" and type(expected).__name__ == "ndarray":
        from workbench.verify.compare_frames import compare_arrays

        return compare_arrays(expected, actual, path)
    if isinstance(expected, float):
        if expected == actual or (math.isnan(expected) and math.isnan(actual)):
            return None
        return Difference(
            path, f"notebook {expected!r}, pipeline {actual!r}", _floats_close(expected, actual)
        )
    if isinstance(expected, str) and RUN_ID.fullmatch(expected):
        return None if RUN_ID.fullmatch(actual) else Difference(path, f"pipeline {actual!r}")
    if isinstance(expected, dict):
        if list(expected) != list(actual):
            missing = [k for k in expected if k not in actual]
            extra = [k for k in actual if k not in expected]
            if missing or extra:
                return Difference(path, f"keys: missing {missing[:3]}, extra {extra[:3]}")
            return Difference(
                path, f"key order: notebook {list(expected)[:5]}, pipeline {list(actual)[:5]}"
            )
        return _first(((f"[{k!r}]", expected[k], actual[k]) for k in expected), path, depth)
    if isinstance(expected, list | tuple):
        if len(expected) != len(actual):
            return Difference(path, f"length: notebook {len(expected)}, pipeline {len(actual)}")
        return _first(
            ((f"[{i}]", e, a) for i, (e, a) in enumerate(zip(expected, actual, strict=True))),
            path,
            depth,
        )
    if (
        hasattr(expected, "__dict__")
        and not isinstance(expected, type)
        and type(expected).__eq__ is object.__eq__
    ):  # estimators and plain objects: by their attributes (fitted ones included)
        return compare_values(vars(expected), vars(actual), path, depth + 1)
    if _equal(expected, actual):
        return None
    return Difference(path, f"notebook {_short(expected)}, pipeline {_short(actual)}")


def _first(items: Any, path: str, depth: int) -> Difference | None:
    close: Difference | None = None
    for suffix, e, a in items:
        diff = compare_values(e, a, path + suffix, depth + 1)
        if diff is not None and not diff.close:
            return diff
        close = close or diff
    return close


def _equal(expected: Any, actual: Any) -> bool:
    try:
        if bool(expected == actual):
            return True
    except Exception:  # ambiguous truth values (arrays inside objects): compare the printed form
        pass
    return repr(expected) == repr(actual) and "object at 0x" not in repr(expected)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
