"""`compare(actual, expected)`: None when the values are equal, else one precise message.

The message names the first difference found, with a path into the value: the type, the shape,
the dtype (of a column), the column names and their order, the index (and its freq), a missing
or extra key, the dict order, the first differing element (`value['b'][2]`, `frame.loc[5, 'x']`).
Exact by default (NaN equals NaN, -0.0 equals 0.0 as numpy does); `rtol`/`atol` relax float
values only. Objects without their own `==` (estimators, notebook classes) compare by their
attributes, then by their pickled bytes. Used by the artifact codecs (a format is used only when
a value round-trips), the generated step tests and verification.
"""

from __future__ import annotations

import math
import sys
from typing import Any

MAX_DEPTH = 60


def _tname(value: Any) -> str:
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _short(value: Any) -> str:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and value.ndim == 0:
        value = value.item()  # 4, not np.int64(4)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def compare(
    actual: Any, expected: Any, *, rtol: float = 0.0, atol: float = 0.0, path: str = "value"
) -> str | None:
    return _Comparer(rtol, atol).run(actual, expected, path, 0)


class _Comparer:
    def __init__(self, rtol: float, atol: float) -> None:
        self.rtol, self.atol = rtol, atol
        self.seen: set[tuple[int, int]] = set()

    def run(self, a: Any, e: Any, path: str, depth: int) -> str | None:
        if a is e:
            return None
        if type(a) is not type(e):
            if _same_class_elsewhere(a, e):
                return self.run(_state(a), _state(e), path + ".__dict__", depth + 1)
            return f"{path}: type {_tname(a)} != expected {_tname(e)}"
        if depth > MAX_DEPTH or (id(a), id(e)) in self.seen:
            return None  # a cycle or a very deep structure: compared on the way in
        self.seen.add((id(a), id(e)))
        pd = sys.modules.get("pandas")
        np = sys.modules.get("numpy")
        if pd is not None:
            if isinstance(e, pd.DataFrame):
                return self.frame(a, e, path)
            if isinstance(e, pd.Series):
                return self.series(a, e, path)
            if isinstance(e, pd.Index):
                return self.index(a, e, path)
            if isinstance(e, pd.api.extensions.ExtensionArray):
                return self.pandas_assert(
                    pd.testing.assert_extension_array_equal, a, e, path, check_exact=True
                )
        if np is not None:
            if isinstance(e, np.ndarray):
                return self.array(a, e, path)
            if isinstance(e, np.generic):
                return self.scalar(a, e, path)
        if type(e).__module__.startswith("scipy.sparse"):
            return self.sparse(a, e, path)
        if isinstance(e, float | complex):
            return self.scalar(a, e, path)
        if isinstance(e, list | tuple):
            return self.sequence(a, e, path, depth)
        if isinstance(e, dict):
            return self.mapping(a, e, path, depth)
        return self.other(a, e, path, depth)

    # -- scalars and containers -------------------------------------------------------------

    def scalar(self, a: Any, e: Any, path: str) -> str | None:
        try:
            if a == e or (a != a and e != e):  # NaN equals NaN here
                return None
            if (self.rtol or self.atol) and math.isclose(
                float(a), float(e), rel_tol=self.rtol, abs_tol=self.atol
            ):
                return None
        except (TypeError, ValueError):
            pass
        return f"{path}: {_short(a)} != expected {_short(e)}"

    def sequence(self, a: Any, e: Any, path: str, depth: int) -> str | None:
        if len(a) != len(e):
            return f"{path}: length {len(a)} != expected {len(e)}"
        for i, (x, y) in enumerate(zip(a, e, strict=True)):
            found = self.run(x, y, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None

    def mapping(self, a: dict[Any, Any], e: dict[Any, Any], path: str, depth: int) -> str | None:
        missing = [k for k in e if k not in a]
        extra = [k for k in a if k not in e]
        if missing or extra:
            parts = [f"missing key {_short(missing[0])}"] if missing else []
            parts += [f"extra key {_short(extra[0])}"] if extra else []
            return f"{path}: {', '.join(parts)}"
        timings = _cross_validate_timings(e)
        for k in e:
            if k in timings:
                found = _same_layout(a[k], e[k], f"{path}[{k!r}]")
            else:
                found = self.run(a[k], e[k], f"{path}[{k!r}]", depth + 1)
            if found:
                return found
        if list(a) != list(e):
            return f"{path}: key order {_short(list(a))} != expected {_short(list(e))}"
        return None

    def other(self, a: Any, e: Any, path: str, depth: int) -> str | None:
        if (
            isinstance(e, type)
            and isinstance(a, type)
            and "__main__" in (a.__module__, e.__module__)
        ):
            return _notebook_classes(a, e, path)
        try:
            same = a == e
            if isinstance(same, bool) and same:
                return None
        except Exception:  # an == that raises says nothing
            pass
        if isinstance(e, set | frozenset):
            diff = sorted(map(repr, e ^ a))[:1]
            return f"{path}: sets differ (first: {diff[0] if diff else '?'})"
        if type(e).__eq__ is not object.__eq__ and not hasattr(e, "__dict__"):
            return f"{path}: {_short(a)} != expected {_short(e)}"
        state_a, state_e = _state(a), _state(e)
        if state_e is not None and state_a is not None:
            return self.run(state_a, state_e, path + ".__dict__", depth + 1)
        return None if _pickled(a) == _pickled(e) else f"{path}: {_short(a)} != {_short(e)}"

    # -- numpy, pandas, scipy ---------------------------------------------------------------

    def array(self, a: Any, e: Any, path: str) -> str | None:
        import numpy as np

        if a.shape != e.shape:
            return f"{path}: shape {a.shape} != expected {e.shape}"
        if a.dtype != e.dtype:
            return f"{path}: dtype {a.dtype} != expected {e.dtype}"
        if isinstance(e, np.ma.MaskedArray):
            if not np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(e)):
                return f"{path}: masks differ"
            a, e = a.filled(), e.filled()
            a, e = np.asarray(a), np.asarray(e)
        if e.dtype.hasobject:
            for i, (x, y) in enumerate(zip(a.ravel(), e.ravel(), strict=True)):
                found = self.run(x, y, f"{path}[{_at(e.shape, i)}]", 1)
                if found:
                    return found
            return None
        differs = self.elements_differ(np.asarray(a), np.asarray(e))
        if differs is None or not differs.any():
            return None
        first = tuple(int(i) for i in np.argwhere(differs)[0])
        where = ", ".join(map(str, first))
        return f"{path}[{where}]: {_short(a[first])} != expected {_short(e[first])}"

    def elements_differ(self, a: Any, e: Any) -> Any:
        import numpy as np

        if e.dtype.names:  # structured: field by field
            out = np.zeros(e.shape, dtype=bool)
            for name in e.dtype.names:
                field = self.elements_differ(a[name], e[name])
                if field is not None:
                    out |= (
                        field.reshape((*e.shape, -1)).any(axis=-1) if field.ndim > e.ndim else field
                    )
            return out
        if e.dtype.kind in "fc":
            if self.rtol or self.atol:
                return ~np.isclose(a, e, rtol=self.rtol, atol=self.atol, equal_nan=True)
            return ~((a == e) | (np.isnan(a) & np.isnan(e)))
        if e.dtype.kind in "mM":
            return ~((a == e) | (np.isnat(a) & np.isnat(e)))
        return a != e

    def sparse(self, a: Any, e: Any, path: str) -> str | None:
        if a.shape != e.shape:
            return f"{path}: shape {a.shape} != expected {e.shape}"
        if a.dtype != e.dtype:
            return f"{path}: dtype {a.dtype} != expected {e.dtype}"
        rows, cols = (a.tocsr() != e.tocsr()).nonzero()
        if len(rows):
            r, c = int(rows[0]), int(cols[0])
            return f"{path}[{r}, {c}]: {a.tocsr()[r, c]!r} != expected {e.tocsr()[r, c]!r}"
        return None

    def index(self, a: Any, e: Any, path: str) -> str | None:
        import pandas as pd

        if len(a) != len(e):
            return f"{path}: length {len(a)} != expected {len(e)}"
        # freq is compared below with its own message (pandas only warns about it for now)
        found = self.pandas_assert(
            pd.testing.assert_index_equal, a, e, path, exact=True, check_freq=False
        )
        if found:
            return found
        if getattr(e, "freq", None) != getattr(a, "freq", None):
            return f"{path}: freq {getattr(a, 'freq', None)} != expected {e.freq}"
        return None

    def series(self, a: Any, e: Any, path: str) -> str | None:
        if a.name != e.name and not (a.name != a.name and e.name != e.name):
            return f"{path}: name {a.name!r} != expected {e.name!r}"
        if a.dtype != e.dtype:
            return f"{path}: dtype {a.dtype} != expected {e.dtype}"
        found = self.index(a.index, e.index, f"{path}.index")
        if found:
            return found
        return self.values(a, e, path, label=lambda i: f"{path}.iloc[{i}]")

    def frame(self, a: Any, e: Any, path: str) -> str | None:
        if a.shape != e.shape:
            return f"{path}: shape {a.shape} != expected {e.shape}"
        found = self.index(a.columns, e.columns, f"{path}.columns")
        if found:
            return found
        found = self.index(a.index, e.index, f"{path}.index")
        if found:
            return found
        for i in range(e.shape[1]):
            col_a, col_e = a.iloc[:, i], e.iloc[:, i]
            name = f"{path}[{e.columns[i]!r}]"
            if col_a.dtype != col_e.dtype:
                return f"{name}: dtype {col_a.dtype} != expected {col_e.dtype}"
            found = self.values(col_a, col_e, name, label=lambda r, n=name: f"{n}.iloc[{r}]")
            if found:
                return found
        if a.attrs != e.attrs:
            return f"{path}.attrs: {_short(a.attrs)} != expected {_short(e.attrs)}"
        return None

    def values(self, a: Any, e: Any, path: str, label: Any) -> str | None:
        import numpy as np
        import pandas as pd

        if isinstance(e.dtype, pd.CategoricalDtype):
            found = self.index(a.cat.categories, e.cat.categories, f"{path}.cat.categories")
            if found:
                return found
            if a.cat.ordered != e.cat.ordered:
                return f"{path}: ordered {a.cat.ordered} != expected {e.cat.ordered}"
            a, e = a.cat.codes, e.cat.codes
        na_a, na_e = a.isna().to_numpy(), e.isna().to_numpy()
        extension = isinstance(e.dtype, pd.api.extensions.ExtensionDtype)
        if extension and not self.rtol and not self.atol:
            exact = pd.testing.assert_extension_array_equal
            if self.pandas_assert(exact, a.array, e.array, path, check_exact=True) is None:
                return None
        if e.dtype == object and _objects_equal(a.to_numpy(), e.to_numpy(), na_a & na_e):
            return None
        if e.dtype == object or extension:
            for i, (x, y) in enumerate(zip(a.array, e.array, strict=True)):
                if na_a[i] and na_e[i] and type(x) is type(y):
                    continue
                found = self.run(x, y, label(i), 1)
                if found:
                    return found
            return None
        differs = self.elements_differ(a.to_numpy(), e.to_numpy()) | (na_a != na_e)
        if differs.any():
            i = int(np.argmax(differs))
            return f"{label(i)}: {_short(a.iloc[i])} != expected {_short(e.iloc[i])}"
        return None

    def pandas_assert(self, check: Any, a: Any, e: Any, path: str, **kwargs: Any) -> str | None:
        try:
            check(a, e, **kwargs)
        except AssertionError as exc:
            detail = " ".join(str(exc).split())
            return f"{path}: {detail[:300]}"
        return None


def _objects_equal(a: Any, e: Any, both_na: Any) -> bool:
    """Fast path for object columns of scalars (strings, mostly): same type at every position
    and equal values (NA where both are NA). False means "look element by element"."""
    import numpy as np

    try:
        if list(map(type, a)) != list(map(type, e)):
            return False
        with np.errstate(all="ignore"):
            same = a == e
        if not isinstance(same, np.ndarray) or same.dtype != bool or same.shape != a.shape:
            return False
        return bool((same | both_na).all())
    except Exception:  # containers or arrays in cells: == does not give one bool each
        return False


def _at(shape: tuple[int, ...], flat: int) -> str:
    import numpy as np

    return ", ".join(str(int(i)) for i in np.unravel_index(flat, shape))


def _same_class_elsewhere(a: Any, e: Any) -> bool:
    """One class defined twice: in the notebook (`__main__`, stored by value) and in a step
    function (`step.<locals>.Log`), or rebuilt from two artifacts (cloudpickle stores a
    `__main__` class by value, each read makes a new class object). Such objects compare by
    their attributes."""
    ta, te = type(a), type(e)
    return (
        ta.__name__ == te.__name__
        and "__main__" in (ta.__module__, te.__module__)
        and _state(a) is not None
        and _state(e) is not None
    )


# Fitted state of scikit-learn objects that differs between two runs of the same code: wall-clock
# seconds of the searches (GridSearchCV, RandomizedSearchCV, the halving searches) and the id()
# of a text vectorizer's stop-word list (CountVectorizer, TfidfVectorizer): never compared.
WALL_CLOCK = frozenset({"refit_time_", "_stop_words_id"})
WALL_CLOCK_RESULTS = frozenset(
    {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"}
)


# The dict scikit-learn's cross_validate returns: `fit_time` and `score_time` are wall-clock
# seconds per fold, different in every run; the scores, estimators and indices are not.
CV_TIMINGS = frozenset({"fit_time", "score_time"})


def _cross_validate_timings(value: dict[Any, Any]) -> frozenset[str]:
    """The timing keys of a `cross_validate` result (both timings and a `test_*` score key,
    every value of them a float array of one length), else nothing: only such a dict's timings
    are compared by layout (dtype and shape) instead of by value."""
    np = sys.modules.get("numpy")
    if np is None or not value.keys() >= CV_TIMINGS:
        return frozenset()
    if not any(isinstance(k, str) and k.startswith("test_") for k in value):
        return frozenset()
    arrays = [value[k] for k in (*CV_TIMINGS, *(k for k in value if str(k).startswith("test_")))]
    if not all(isinstance(v, np.ndarray) and v.ndim == 1 for v in arrays):
        return frozenset()
    if len({v.shape for v in arrays}) != 1 or any(value[k].dtype.kind != "f" for k in CV_TIMINGS):
        return frozenset()
    return CV_TIMINGS


def _same_layout(a: Any, e: Any, path: str) -> str | None:
    """Timings: the same kind of array (dtype, shape), whatever the seconds."""
    np = sys.modules.get("numpy")
    if np is None or not isinstance(a, np.ndarray):
        return f"{path}: type {_tname(a)} != expected {_tname(e)}"
    if a.dtype != e.dtype or a.shape != e.shape:
        return f"{path}: {a.dtype}{a.shape} != expected {e.dtype}{e.shape} (timings)"
    return None


def _notebook_classes(a: type, e: type, path: str) -> str | None:
    """Two class objects of a notebook class (stored by value, so never the same object):
    equal when name, bases, enum members, plain attributes (a class-level counter) and methods'
    arguments, names and constants are. Not the bytecode itself: a class the step module
    defines inside its function reads `Kind` from a closure where the notebook reads a global."""

    def code_key(code: Any) -> Any:
        consts = tuple(code_key(c) if hasattr(c, "co_code") else c for c in code.co_consts)
        names = sorted({*code.co_names, *code.co_freevars})
        return code.co_argcount, code.co_varnames, names, consts

    def shape(kind: type) -> tuple[Any, ...]:
        found = {}
        for key, value in vars(kind).items():
            if key.startswith("__") and key.endswith("__"):
                continue
            func = getattr(getattr(value, "__func__", value), "__code__", None)
            if func is not None:
                found[key] = code_key(func)
            elif not isinstance(value, kind):  # enum members: compared below
                text = repr(value)  # a property's repr is an address: its type says enough
                found[key] = type(value).__name__ if " at 0x" in text else text
        members = getattr(kind, "__members__", None)
        enum = [(n, m.value) for n, m in members.items()] if members is not None else None
        return kind.__name__, [b.__name__ for b in kind.__bases__], enum, sorted(found.items())

    if shape(a) != shape(e):
        return f"{path}: class {a.__name__} differs from expected {e.__name__}"
    return None


def _state(value: Any) -> dict[str, Any] | None:
    try:
        state = vars(value)
    except TypeError:
        return None
    if not isinstance(state, dict):
        return None
    if type(value).__module__.startswith("sklearn.") and not WALL_CLOCK.isdisjoint(state):
        return _timeless(state)
    return dict(state)


def _timeless(state: dict[str, Any]) -> dict[str, Any]:
    """A fitted object's attributes without the run-dependent ones (a search's scores, the
    parameters tried and the refitted estimator stay compared)."""
    kept = {k: v for k, v in state.items() if k not in WALL_CLOCK}
    results = kept.get("cv_results_")
    if isinstance(results, dict):
        kept["cv_results_"] = {k: v for k, v in results.items() if k not in WALL_CLOCK_RESULTS}
    return kept


def _pickled(value: Any) -> bytes | None:
    try:
        import cloudpickle

        return bytes(cloudpickle.dumps(value, protocol=5))
    except Exception:  # unpicklable: compare by repr
        return repr(value).encode()
