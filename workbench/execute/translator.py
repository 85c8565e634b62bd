"""papermill's Python translator, made exact for the parameter model's container values.

papermill writes injected values as Python source. Its Python translator turns a tuple into a
string (`"(1, 2)"`) and every dict key into a string (`{1: 'a'}` becomes `{"1": 'a'}`). The
parameter model's values are plain literals, whose `repr` is exact Python source, so this
translator writes lists, tuples and dicts as their literal text and leaves the rest (strings,
numbers, nan and inf) to papermill. Registered through papermill's own translator registry, as
a plug-in would be.
"""

from __future__ import annotations

from typing import Any

from workbench.spec.params import is_plain, type_of

_CONTAINERS = ("list", "tuple", "dict")


def register() -> None:
    """Use the exact translator for Python kernels in this process (idempotent)."""
    from papermill.translators import PythonTranslator, papermill_translators

    class LiteralPythonTranslator(PythonTranslator):
        @classmethod
        def translate(cls, val: Any) -> str:
            if is_plain(val) and type_of(val) in _CONTAINERS:
                return repr(val)
            return str(super().translate(val))

    papermill_translators.register("python", LiteralPythonTranslator)
