"""Small, deterministic Python source helpers for the emitters: indentation that leaves
multi-line strings untouched, import grouping, and line wrapping."""

from __future__ import annotations

import ast
import io
import json
import sys
import tokenize

WIDTH = 100


def string_continuation_lines(source: str) -> set[int]:
    """1-based lines that start inside a multi-line string: indenting them would change it."""
    lines: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                lines.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - sources were parsed already
        pass
    return lines


def indent_code(source: str, prefix: str = "    ") -> list[str]:
    """The cell's lines indented into a function body, verbatim otherwise."""
    keep = string_continuation_lines(source)
    out = []
    for number, line in enumerate(source.splitlines(), start=1):
        if number in keep or not line.strip():
            out.append(line if number in keep else "")
        else:
            out.append(prefix + line)
    return out


def import_group(module: str) -> int:
    top = module.lstrip(".").split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return 0
    if top in ("workbench", "steps"):
        return 2 if top == "workbench" else 3
    return 1


def render_imports(statements: list[str]) -> list[str]:
    """Imports merged by module, grouped stdlib / third party / workbench / steps, sorted."""
    plain: set[tuple[int, str]] = set()
    froms: dict[tuple[int, str], set[str]] = {}
    for statement in statements:
        node = ast.parse(statement).body[0]
        if isinstance(node, ast.Import):
            plain.add((import_group(node.names[0].name), statement))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                text = alias.name + (f" as {alias.asname}" if alias.asname else "")
                froms.setdefault((import_group(module), module), set()).add(text)
    lines: list[str] = []
    for group in range(4):
        chunk = sorted(s for g, s in plain if g == group)
        for (g, module), names in sorted(froms.items()):
            if g == group:
                chunk.append(wrap_call(f"from {module} import ", sorted(names), ""))
        if chunk:
            if lines:
                lines.append("")
            lines.extend(chunk)
    return lines


def wrap_call(head: str, items: list[str], tail: str, indent: str = "") -> str:
    """`head a, b, c tail` on one line when it fits, else one item per line in parentheses."""
    one = f"{indent}{head}{', '.join(items)}{tail}"
    if len(one) <= WIDTH or not items:
        return one
    if not indent:
        indent = head[: len(head) - len(head.lstrip())]
        head = head.lstrip()
    opener = "" if head.endswith(("(", "[", "{")) else "("
    closer = ")" if opener else ""
    body = "".join(f"{indent}    {item},\n" for item in items)
    return f"{indent}{head}{opener}\n{body}{indent}{closer}{tail}"


def class_name(step: str) -> str:
    return "".join(part.capitalize() for part in step.split("_") if part) + "Outputs"


def py_literal(value: object) -> str:
    """Python source for a JSON-like value, strings in double quotes (as ruff formats them)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        items = [py_literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)
