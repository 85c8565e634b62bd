"""Files one step writes and a later step reads: an order the pipeline must be told.

A notebook can hand data between cells through a file (`obs.to_csv("clean.csv")`, then
`pd.read_csv("clean.csv")` in a later cell). Such a file is not a step value, so nothing orders
the reading step after the writing one: the runner may start it first (or in parallel), and
where the notebook already ran it reads the file the notebook left behind, so verification
passes and a clean checkout fails. A later step that names a file (the same string literal) an
earlier step writes, without running after that step (data or `after:`), is refused, naming
both cells.
"""

from __future__ import annotations

import ast
import os

from workbench.compiler.blocks import Blocks
from workbench.compiler.checks import error_at
from workbench.compiler.diagnostics import Diagnostics
from workbench.compiler.graph import ancestors
from workbench.compiler.names import Ref

# methods and functions that write a file named by one of their arguments (or, for pathlib's
# write_text/write_bytes, by the object they are called on)
WRITERS = frozenset(
    {
        "to_csv", "to_parquet", "to_json", "to_excel", "to_pickle", "to_feather", "to_hdf",
        "to_stata", "to_orc", "to_html", "to_latex", "to_markdown", "to_xml", "to_netcdf",
        "write_csv", "write_parquet", "write_json", "write_text", "write_bytes", "savefig",
        "save", "savez", "savez_compressed", "savetxt", "dump", "save_model", "imwrite",
    }
)  # fmt: skip
PATH_CALLS = frozenset({"Path", "PurePath", "PosixPath"})


def _literal(node: ast.expr) -> str | None:
    """The file a path expression names: "x.csv" or Path("x.csv"); None when computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        return os.path.normpath(node.value)
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in PATH_CALLS:
            return _literal(node.args[0])
    return None


def _opened_for_writing(node: ast.Call) -> bool:
    mode = node.args[1] if len(node.args) > 1 else None
    mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and any(c in mode.value for c in "wax+")
    )


def written(tree: ast.AST) -> list[tuple[str, int]]:
    """(path, line) of every write to a file named by a literal, in the tree's walk order."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        candidates: list[ast.expr] = []
        if name in WRITERS:
            candidates = [*node.args, *(k.value for k in node.keywords)]
            if name in ("write_text", "write_bytes") and isinstance(func, ast.Attribute):
                candidates = [func.value]
        elif name == "open" and node.args and _opened_for_writing(node):
            candidates = [node.args[0]]
        for candidate in candidates:
            path = _literal(candidate)
            if path is not None:
                found.append((path, node.lineno))
    return found


def _reads(tree: ast.AST, path: str) -> int | None:
    """The line of the first mention of `path` in `tree`, unless every mention is a write
    (a cell that only writes the file again does not depend on the earlier write)."""
    lines = [
        getattr(node, "lineno", 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.strip()
        and os.path.normpath(node.value) == path
    ]
    writes = sum(1 for p, _ in written(tree) if p == path)
    return min(lines) if len(lines) > writes else None


def check_shared_files(blocks: Blocks, edges: set[tuple[str, str]], diags: Diagnostics) -> None:
    """A step naming a file an earlier step writes must run after that step."""
    above = ancestors(edges)
    writes: list[tuple[str, str, Ref]] = []  # (step, path, where)
    for step, cells in blocks.steps.items():
        for prepared in cells:
            for path, line in written(prepared.tree):
                writes.append((step, path, Ref(prepared.cell.index, line)))
    reported: set[tuple[str, str]] = set()
    for writer, path, where in sorted(writes, key=lambda w: (w[2].cell, w[2].line)):
        for reader, cells in blocks.steps.items():
            if reader == writer or writer in above.get(reader, set()):
                continue
            if (reader, path) in reported:
                continue
            for prepared in cells:
                if prepared.cell.index <= where.cell:
                    continue
                at = _reads(prepared.tree, path)
                if at is None:
                    continue
                reported.add((reader, path))
                error_at(
                    blocks,
                    diags,
                    Ref(prepared.cell.index, at),
                    f"step {reader!r} uses the file {path!r}, which step {writer!r} writes (cell "
                    f"{where.cell}, line {where.line}), but does not run after it: a file is not "
                    "a step value, so the pipeline may run the steps in either order",
                    name=path,
                    hint=f"tag this cell after:{writer}, or pass the data as a value",
                )
                break
