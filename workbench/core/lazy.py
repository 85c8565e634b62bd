"""Names resolved on first use: a package's PEP 562 `__getattr__` and the emitter registry.

A target is `module:attribute`, or a module name alone for the module itself. Importing the
package, or one light submodule of it, then costs nothing of what its other names pull in
(mlflow, optuna, ipywidgets, hera).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def resolve(target: str) -> Any:
    """The object `module:attribute` names (the module itself without `:attribute`), imported now."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def lazy_attribute(package: str, exports: Mapping[str, str], name: str) -> Any:
    """`package.name` from its `exports` (name -> target): the body of a package's `__getattr__`."""
    target = exports.get(name)
    if target is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return resolve(target)
