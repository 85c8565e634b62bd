"""Argo's template tags, the subset workbench emits, evaluated the way the controller does.

Simple tags: `{{inputs.parameters.X}}`, `{{workflow.parameters.X}}`, `{{workflow.name}}`,
`{{workflow.uid}}`, `{{pod.name}}`, `{{item.X}}`, `{{tasks.T.outputs.(parameters|artifacts).X}}`.
Expression tags (`{{=...}}`, expr-lang with sprig): string literals, `+`, `sprig.sha256sum`,
`sprig.trim`, `workflow.parameters['X']` and `tasks['T'].outputs.parameters['X']`. The
expression is read with Python's `ast` (the subset is the same grammar) and every other node is
refused by name: the rehearsal checks our own output, it is not a second Argo.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from workbench.core.errors import WorkbenchError

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_SPRIG = {
    "sha256sum": lambda s: hashlib.sha256(str(s).encode("utf-8")).hexdigest(),
    "trim": lambda s: str(s).strip(),
}


class Scope:
    """What a tag can name: flat keys (`inputs.parameters.C`) and the nested `tasks` map."""

    def __init__(self, flat: Mapping[str, str], tasks: Mapping[str, Mapping[str, str]]) -> None:
        self.flat = dict(flat)
        self.tasks = tasks  # task -> {"parameters.X": value}

    def lookup(self, name: str, where: str) -> str:
        if name in self.flat:
            return self.flat[name]
        parts = name.split(".")
        if len(parts) == 5 and parts[0] == "tasks" and parts[2] == "outputs":
            task = self.tasks.get(parts[1], {})
            key = f"{parts[3]}.{parts[4]}"
            if key in task:
                return task[key]
        raise WorkbenchError(f"{where}: unresolved Argo tag {{{{{name}}}}}")


def substitute(text: str, scope: Scope, where: str) -> str:
    """Replace every `{{...}}` tag of `text`; an unknown name or construct is an error."""

    def one(match: re.Match[str]) -> str:
        body = match.group(1).strip()
        if body.startswith("="):
            return str(evaluate(body[1:], scope, where))
        return scope.lookup(body, where)

    return _TAG.sub(one, text)


def evaluate(expression: str, scope: Scope, where: str) -> Any:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise WorkbenchError(f"{where}: expression outside the modelled subset: {exc}") from exc
    return _eval(tree.body, scope, where)


def _eval(node: ast.AST, scope: Scope, where: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return str(_eval(node.left, scope, where)) + str(_eval(node.right, scope, where))
    if isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "sprig"
            and func.attr in _SPRIG
        ):
            return _SPRIG[func.attr](_eval(node.args[0], scope, where))
    path = _reference(node)
    if path is not None:
        return scope.lookup(".".join(path), where)
    raise WorkbenchError(
        f"{where}: expression construct {ast.dump(node)[:80]} is outside what workbench emits "
        "(the rehearsal models only its own output)"
    )


def _reference(node: ast.AST) -> list[str] | None:
    """`workflow.parameters['C']` / `tasks['load'].outputs.parameters['x']` as a dotted path."""
    if isinstance(node, ast.Name) and node.id in ("workflow", "tasks", "inputs"):
        return [node.id]
    if isinstance(node, ast.Attribute):
        base = _reference(node.value)
        return None if base is None else [*base, node.attr]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        base = _reference(node.value)
        key = node.slice.value
        return None if base is None or not isinstance(key, str) else [*base, key]
    return None
