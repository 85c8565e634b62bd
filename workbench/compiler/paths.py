"""The file a path expression names, worked out from constants without running the notebook.

Seen: string literals, `Path(...)`/`PurePath(...)`/`.joinpath(...)`, `a / "b"`, `"a" + "b"`,
`os.path.join(...)`, `str(...)`, f-strings (with format specs), over parameters (their defaults)
and names bound exactly once in the whole notebook, at a cell's top level, by such an
expression (`DATA_DIR = Path("../data")`).

Not seen (the expression is "unknown", and the file checks say nothing about it): a name bound
twice or in a loop, function or branch, a path a function builds or returns, attributes and
subscripts (`cfg.path`, `paths["train"]`), `%`-formatting and `.format()`, environment
variables, `glob`/`listdir` results, the working directory a cell changes with `os.chdir`.
"""

from __future__ import annotations

import ast
import os
import posixpath
from typing import Any

from workbench.compiler.blocks import Blocks
from workbench.spec.model import ParamSpec

PATH_CALLS = frozenset({"Path", "PurePath", "PosixPath"})


class Paths:
    """Evaluate the path an expression names from constants (see the module docstring for what
    it sees and what not). `value(node)` is the text (normalised) or None; `params_used` says
    whether a parameter's default was used, i.e. the pipeline can be given another file."""

    def __init__(self, names: dict[str, Any], params: set[str]) -> None:
        self.names, self.params = names, params
        self.params_used = False
        # the file checks' per-tree results: id -> (tree, mentions, writes); the tree is kept so
        # its id stays its own
        self.seen: dict[int, tuple[Any, Any, Any]] = {}

    def value(self, node: ast.expr) -> str | None:
        self.params_used = False
        found = self.evaluate(node)
        if isinstance(found, str) and found.strip():
            return os.path.normpath(found)
        return None

    def evaluate(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.names:
            self.params_used |= node.id in self.params
            return self.names[node.id]
        if isinstance(node, ast.BinOp):
            left, right = self.evaluate(node.left), self.evaluate(node.right)
            if isinstance(left, str) and isinstance(right, str):
                if isinstance(node.op, ast.Div):
                    return posixpath.join(left, right)
                if isinstance(node.op, ast.Add):
                    return left + right
            return None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    parts.append(str(part.value))
                    continue
                if not isinstance(part, ast.FormattedValue) or part.conversion not in (-1, 115):
                    return None
                inner = self.evaluate(part.value)
                spec = self.evaluate(part.format_spec) if part.format_spec else ""
                if inner is None or not isinstance(spec, str):
                    return None
                try:
                    parts.append(format(inner, spec))
                except (TypeError, ValueError):
                    return None
            return "".join(parts)
        if isinstance(node, ast.Call) and not node.keywords:
            return self._call(node)
        return None

    def _call(self, node: ast.Call) -> Any:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = [self.evaluate(a) for a in node.args]
        if not all(isinstance(a, str) for a in args):
            return None
        if name in PATH_CALLS and args:
            return posixpath.join(*args)
        if name == "str" and len(args) == 1:
            return args[0]
        if (
            name == "join"
            and args
            and _dotted(func) in ("os.path.join", "posixpath.join", "path.join")
        ):
            return posixpath.join(*args)
        if name == "joinpath" and isinstance(func, ast.Attribute):
            base = self.evaluate(func.value)
            return posixpath.join(base, *args) if isinstance(base, str) else None
        return None


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return getattr(node, "id", "")


def constants(blocks: Blocks, params: dict[str, ParamSpec]) -> Paths:
    """The names a path expression may use: parameters (their defaults) and names bound once
    in the whole notebook, at a cell's top level, by an expression `Paths` evaluates."""
    counts: dict[str, int] = {}
    for prepared in blocks.cells.values():
        for node in ast.walk(prepared.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                counts[node.id] = counts.get(node.id, 0) + 1
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                counts[node.name] = counts.get(node.name, 0) + 1
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    bound = (alias.asname or alias.name).split(".")[0]
                    counts[bound] = counts.get(bound, 0) + 1
    names: dict[str, Any] = {}
    for name, param in params.items():
        if isinstance(param.default, str | int | float) and counts.get(name, 0) <= 1:
            names[name] = param.default
    paths = Paths(names, set(names))
    for index in sorted(blocks.cells):
        prepared = blocks.cells[index]
        if prepared.cell.role in ("parameters", "skip"):
            continue
        for statement in prepared.tree.body:
            target = _single_target(statement)
            if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
                continue
            if target is None or counts.get(target, 0) != 1:
                continue
            found = paths.evaluate(statement.value)
            if isinstance(found, str | int | float):
                names[target] = found
    return paths


def _single_target(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign):
        target = node.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None
