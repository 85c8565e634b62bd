"""String literals for MLflow search filters built from values workbench did not choose.

MLflow's filter grammar has no escape character: a backslash before a quote is kept as part
of the value. A value is therefore quoted with a quote character it does not contain, and a value
holding both kinds cannot be written at all (an error, never a filter that means something else).
"""

from __future__ import annotations

from workbench.core.errors import WorkbenchError


def filter_literal(value: str, what: str = "value") -> str:
    """`'value'`, or `"value"` when it holds a single quote."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise WorkbenchError(
        f"{what} {value!r}: holds both kinds of quote and cannot be written in an MLflow "
        "search filter"
    )
