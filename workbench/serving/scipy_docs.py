"""scipy's import-time docstring rewriting, skipped in the serving process.

Why: since 1.15, scipy decorates several hundred public functions with `xp_capabilities`
(`scipy/_lib/_array_api.py`), which at import parses each docstring with numpydoc's
`FunctionDoc`, appends a table of the array-API backends it supports and renders the docstring
again: about 470 parses when scikit-learn is imported. Measured here, the imports a scaler +
logistic-regression pipeline needs: median of six fresh processes 1.90 s as is, 1.68 s without
the rewriting, a tenth of the server's start-up (issue: under 2 s). A server never shows a
docstring, and the decorator returns each function itself, unchanged but for `__doc__`.

Applied only to the scipy releases whose decorator was read (RECORDED: it calls
`FunctionDoc(f)`, appends to `doc["Notes"]`, and keeps what follows the first line of
`str(doc)`); for any other release, or if scipy is absent or its layout differs, nothing is
changed and scipy imports as usual. Called before anything imports scipy's submodules.
"""

from __future__ import annotations

import importlib
from typing import Any

# scipy releases whose `xp_capabilities` decorator uses FunctionDoc as the stand-in expects.
RECORDED = ("1.17.0", "1.17.1")


class KeptDoc(dict[str, list[str]]):
    """Stands for `FunctionDoc(f)`: takes the notes appended to it and renders the function's
    docstring as it was (after the signature line the decorator strips)."""

    def __init__(self, func: Any) -> None:
        super().__init__(Notes=[])
        self._doc = getattr(func, "__doc__", None) or ""

    def __str__(self) -> str:
        return "\n" + self._doc


def skip_doc_rewrites() -> bool:
    """Replace the decorator's FunctionDoc for a recorded scipy; True if it was replaced."""
    try:
        version = importlib.import_module("scipy.version").version
    except ImportError:
        return False
    if version not in RECORDED:
        return False
    module = importlib.import_module("scipy._lib._array_api")
    if getattr(module, "FunctionDoc", None) is KeptDoc:
        return True
    if not isinstance(getattr(module, "FunctionDoc", None), type):
        return False
    setattr(module, "FunctionDoc", KeptDoc)  # noqa: B010  # a module of scipy, not ours
    return True
