"""Code and lock digests: the `code=` and `lock=` parts of a step's cache key.

The compiler stores the compile-time values in the spec (`StepSpec.code_digest`,
`PipelineSpec.lock_digest`, used by the Argo emitter for memoization keys); the local runner
recomputes them from the files on disk with these same functions, so an edited step module or
helper invalidates exactly the cached steps whose code changed.

A step's code digest covers its module text and the source of every helper definition it uses,
followed transitively through the helper bodies: editing one helper changes the digest only of
the steps that reach it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from workbench.core.hashing import sha256_parts


def _defined_names(node: ast.stmt) -> set[str]:
    """Top-level names a helper-module statement binds."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
    return names


def _used_names(node: ast.stmt) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _segment(lines: list[str], node: ast.stmt) -> str:
    """The statement's source lines, decorators included (ast's lineno starts at `def`)."""
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    end = node.end_lineno or node.lineno
    return "\n".join(lines[start - 1 : end])


def helper_closure(helpers_text: str, helper_names: Iterable[str]) -> list[str]:
    """Source of the helper statements `helper_names` reach, transitively, in file order.

    Names not defined in the helper module are ignored: the caller passes what the step module
    imports from it, and a name may also be a builtin or a module-level import inside a body.
    """
    tree = ast.parse(helpers_text)
    statements = list(tree.body)
    binds: dict[str, list[int]] = {}
    for index, node in enumerate(statements):
        for name in _defined_names(node):
            binds.setdefault(name, []).append(index)
    reached: set[int] = set()
    pending = sorted(set(helper_names))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for index in binds.get(name, []):
            if index not in reached:
                reached.add(index)
                pending.extend(sorted(_used_names(statements[index]) - seen))
    lines = helpers_text.splitlines()
    return [_segment(lines, statements[i]) for i in sorted(reached)]


def step_code_digest(step_module_text: str, helpers_text: str, helper_names: Iterable[str]) -> str:
    """sha256 hex of the step module text plus the helper code it uses (see module docstring)."""
    module = step_module_text.replace("\r\n", "\n")
    helpers = helpers_text.replace("\r\n", "\n")
    return sha256_parts(["module", module, "helpers", *helper_closure(helpers, helper_names)])


def lock_digest(requirements_text: str) -> str:
    """sha256 hex of the requirement lines (comments, blanks and order ignored)."""
    lines = sorted(
        {
            line.split("#", 1)[0].strip()
            for line in requirements_text.splitlines()
            if line.split("#", 1)[0].strip()
        }
    )
    return sha256_parts(["requirements", *lines])
