"""Kernel side of `productionize --verify`: what the recorded notebook execution observes.

Imported by cells injected into the notebook (see workbench.compiler.record.instrument). After
every notebook cell the tracer fingerprints every user name of the kernel's namespace and
notes which cell changed which name, and whether it was rebound (a new object) or changed in
place (the same object, a new fingerprint): that is how mutation the static analysis cannot see
(aliases, methods, library calls) shows up. At each step boundary it records the fingerprints
of the names crossing it, the sharing between them (one object reachable from two names), and
pickles the step's outputs whole, so the chained pipeline can be compared with them.

Everything is written to one folder as trace.json plus values/STEP/NAME.pkl.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import types
from pathlib import Path
from typing import Any

IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), range, frozenset)
SKIPPED = {"In", "Out", "exit", "quit", "get_ipython"}


def _pickled(value: Any) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=5)
    except Exception:
        try:
            import cloudpickle

            return bytes(cloudpickle.dumps(value))
        except Exception:
            return None


def _frame_bytes(value: Any) -> bytes | None:
    import pandas as pd

    try:
        hashed = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
    except Exception:  # unhashable cells (lists, dicts): the pickle says it all
        return None
    frame = value.to_frame() if isinstance(value, pd.Series) else value
    layout = repr(
        (
            [str(c) for c in frame.columns],
            [str(d) for d in frame.dtypes],
            str(frame.index.dtype),
            frame.index.names,
            getattr(frame.index, "freqstr", None),
            frame.shape,
            getattr(value, "name", None),
        )
    )
    return layout.encode() + hashed


def fingerprint(value: Any) -> str:
    """A digest of the value's content, stable for an unchanged value; "" when it cannot be
    computed (an object that neither pickles nor hashes)."""
    kind = type(value)
    digest = hashlib.sha256(f"{kind.__module__}.{kind.__qualname__}".encode())
    data: bytes | None = None
    module = kind.__module__.split(".")[0]
    if module == "pandas" and kind.__name__ in ("DataFrame", "Series"):
        data = _frame_bytes(value)
    elif module == "numpy" and kind.__name__ == "ndarray" and value.dtype != object:
        import numpy as np

        data = (
            repr((str(value.dtype), value.shape)).encode() + np.ascontiguousarray(value).tobytes()
        )
    if data is None:
        data = _pickled(value)
    if data is None:
        return ""
    digest.update(data)
    return digest.hexdigest()


def user_names(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's own values: no modules, functions, classes, private or IPython names."""
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_")
        and name not in SKIPPED
        and not isinstance(value, types.ModuleType | types.FunctionType | type)
        and not isinstance(value, types.BuiltinFunctionType)
    }


def _mutable(value: Any) -> bool:
    return not isinstance(value, (*IMMUTABLE, types.ModuleType, types.FunctionType, type))


def members(value: Any, depth: int = 2) -> dict[int, str]:
    """id -> path ("[0]", "['a']", ".attr") of the mutable objects reachable from `value`
    through containers and instance attributes, `depth` levels down."""
    found: dict[int, str] = {}

    def walk(current: Any, path: str, level: int) -> None:
        if level == 0:
            return
        children: list[tuple[str, Any]] = []
        if isinstance(current, list | tuple | set):
            children = [(f"[{i}]", v) for i, v in enumerate(current)]
        elif isinstance(current, dict):
            children = [(f"[{k!r}]", v) for k, v in current.items()]
        elif hasattr(current, "__dict__") and not isinstance(current, types.ModuleType | type):
            try:
                children = [(f".{k}", v) for k, v in vars(current).items()]
            except TypeError:
                children = []
        for suffix, child in children[:10_000]:
            if _mutable(child) and id(child) not in found:
                found[id(child)] = path + suffix
                walk(child, path + suffix, level - 1)

    walk(value, "", depth)
    return found


def sharing(namespace: dict[str, Any], names: list[str]) -> list[list[str]]:
    """[a, b, how] for each name `a` in `names` sharing an object with another user name `b`."""
    values = user_names(namespace)
    inside = {n: members(v) for n, v in values.items() if _mutable(v)}
    found: list[list[str]] = []
    for a in sorted(n for n in names if n in inside):
        for b in sorted(inside):
            if a == b or (b in names and b < a):
                continue
            va, vb = values[a], values[b]
            if va is vb:
                found.append([a, b, f"{a} is {b}"])
            elif id(vb) in inside[a]:
                found.append([a, b, f"{b} is {a}{inside[a][id(vb)]}"])
            elif id(va) in inside[b]:
                found.append([a, b, f"{a} is {b}{inside[b][id(va)]}"])
            else:
                common = set(inside[a]) & set(inside[b])
                if common:
                    one = min(common, key=lambda i: inside[a][i])
                    found.append([a, b, f"{a}{inside[a][one]} is {b}{inside[b][one]}"])
    return found


class Tracer:
    """Per-cell fingerprints and step-boundary snapshots of one notebook execution."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.state: dict[str, tuple[int, str]] = {}
        self.changes: list[dict[str, Any]] = []
        self.boundaries: dict[str, dict[str, Any]] = {}

    def after_cell(self, namespace: dict[str, Any], cell: int) -> None:
        values = user_names(namespace)
        for name, value in values.items():
            digest = fingerprint(value)
            before = self.state.get(name)
            rebound = before is None or before[0] != id(value)
            # an object that cannot be fingerprinted ("") is seen changing only when rebound
            if rebound or (digest and before is not None and before[1] != digest):
                self.changes.append(
                    {"cell": cell, "name": name, "inplace": not rebound, "digest": digest}
                )
            self.state[name] = (id(value), digest)
        for name in [n for n in self.state if n not in values]:
            del self.state[name]
            self.changes.append({"cell": cell, "name": name, "inplace": False, "digest": None})

    def enter(self, namespace: dict[str, Any], step: str, inputs: list[str]) -> None:
        self.boundaries.setdefault(step, {})["enter"] = {
            n: fingerprint(namespace[n]) for n in inputs if n in namespace
        }
        self.boundaries[step]["shared"] = sharing(namespace, inputs)

    def exit(self, namespace: dict[str, Any], step: str, outputs: list[str]) -> None:
        self.boundaries.setdefault(step, {})["exit"] = {
            n: fingerprint(namespace[n]) for n in outputs if n in namespace
        }
        self.boundaries[step]["shared_out"] = sharing(namespace, outputs)
        import cloudpickle

        folder = self.folder / "values" / step
        folder.mkdir(parents=True, exist_ok=True)
        for name in outputs:
            if name not in namespace:
                continue
            try:
                data = cloudpickle.dumps(namespace[name])
            except Exception as exc:  # said in the verdict; the notebook run goes on
                (folder / f"{name}.error").write_text(f"{type(exc).__name__}: {exc}")
                continue
            (folder / f"{name}.pkl").write_bytes(data)

    def dump(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"changes": self.changes, "boundaries": self.boundaries}, indent=1, sort_keys=True
        )
        (self.folder / "trace.json").write_text(text + "\n")
