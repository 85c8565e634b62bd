"""Stand-in for `workbench.spec.digest` until main has the compiler's module (then deleted).

Same contract: a step's code digest covers its module text and the helper statements it reaches.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from workbench.core.hashing import sha256_parts


def helper_closure(helpers_text: str, helper_names: Iterable[str]) -> list[str]:
    """Source of the top-level helper statements `helper_names` reach, in file order."""
    if not helpers_text.strip():
        return []
    tree = ast.parse(helpers_text)
    lines = helpers_text.splitlines()
    binds: dict[str, int] = {}
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            binds[node.name] = index
        else:
            for child in ast.walk(node):
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                    binds[child.id] = index
    reached: set[int] = set()
    pending = list(helper_names)
    while pending:
        index = binds.get(pending.pop(), -1)
        if index >= 0 and index not in reached:
            reached.add(index)
            used = {n.id for n in ast.walk(tree.body[index]) if isinstance(n, ast.Name)}
            pending.extend(sorted(used))
    out = []
    for index in sorted(reached):
        node = tree.body[index]
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        out.append("\n".join(lines[start - 1 : node.end_lineno or node.lineno]))
    return out


def step_code_digest(step_module_text: str, helpers_text: str, helper_names: Iterable[str]) -> str:
    return sha256_parts(
        ["module", step_module_text, "helpers", *helper_closure(helpers_text, helper_names)]
    )


def lock_digest(requirements_text: str) -> str:
    lines = sorted({ln.split("#", 1)[0].strip() for ln in requirements_text.splitlines()} - {""})
    return sha256_parts(["requirements", *lines])
