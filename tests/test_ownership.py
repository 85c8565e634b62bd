"""One owner each (issue 15): clocks are read in workbench.core.clock, files are replaced by
workbench.core.fs, secrets are masked by workbench.core.redact. A second copy drifts (the two
userinfo regexes that leaked passwords holding `/` did), so these scans fail on a new one."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "workbench"

CLOCK_CALLS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "perf_counter_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}
REPLACE_CALLS = {("os", "replace"), ("os", "rename"), ("tempfile", "mkstemp")}
# Not file replacement: whole folders swapped in (productionize, init), a request body spilled
# to a private temporary file, and the bytecode store's writer (a standard-library-only script
# run by another venv's interpreter, which cannot import workbench.core).
REPLACE_ELSEWHERE = {
    "workbench/scaffold/write.py",
    "workbench/serving/offload.py",
    "workbench/deploy/rehearse/bytecode.py",
}


@functools.cache
def _modules() -> list[tuple[str, ast.Module]]:
    """Every module of the package, parsed once for all the scans of this file."""
    return [
        (path.relative_to(REPO).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def _calls(tree: ast.Module, wanted: set[tuple[str, str]]) -> list[int]:
    """Lines of `a.b(...)` calls with (a, b) in `wanted`."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in wanted
    ]


def test_clocks_are_read_in_core_clock_only() -> None:
    found = {
        path: lines
        for path, tree in _modules()
        if path != "workbench/core/clock.py" and (lines := _calls(tree, CLOCK_CALLS))
    }
    assert found == {}, f"use workbench.core.clock.now()/now_ms()/monotonic(): {found}"


def test_files_are_replaced_by_core_fs_only() -> None:
    allowed = {"workbench/core/fs.py", *REPLACE_ELSEWHERE}
    found = {
        path: lines
        for path, tree in _modules()
        if path not in allowed and (lines := _calls(tree, REPLACE_CALLS))
    }
    assert found == {}, f"use workbench.core.fs.atomic_write_bytes/text: {found}"


def test_redaction_is_defined_in_core_redact_only() -> None:
    found = {
        path: [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
        for path, tree in _modules()
        if path != "workbench/core/redact.py"
    }
    copies = {
        path: names
        for path, all_names in found.items()
        if (names := [n for n in all_names if n.lstrip("_").startswith("redact")])
        and path != "workbench/execute/redaction.py"  # the notebook's cells, via core.redact
    }
    assert copies == {}, f"use workbench.core.redact: {copies}"
