"""Modules the notebook writes itself: `%%writefile helpers.py` in a cell, `import helpers` in a
step.

In the notebook the module exists because a cell wrote it beside the notebook before a step
imported it. Where the notebook never ran (the steps image, a clean checkout, the rehearsal)
nothing writes it, and a compile that looks for the file finds it only when the notebook has
run here. So the compiler takes the module from the cell itself, never from the disk: the
module a step imports (directly, through a helper or through another written module) is
shipped as steps/NAME/_modules/PATH, and the pipeline package puts that folder first on
sys.path. The file text is the cells' text (`-a` appends, as IPython does), so two compiles
give the same bytes whether or not the notebook ran.

Only non-step cells count: a step cell with a cell magic is an error of its own (ipython.py).
"""

from __future__ import annotations

import ast
import posixpath
import shlex
from collections.abc import Iterable

from workbench.compiler.parse import Cell
from workbench.spec.model import WrittenModule


def _target(first_line: str) -> tuple[str, bool] | None:
    """(path, append) of a `%%writefile [-a] PATH` line, else None."""
    try:
        words = shlex.split(first_line[2:])
    except ValueError:
        return None
    if not words or words[0] != "writefile":
        return None
    append = any(w in ("-a", "--append") for w in words[1:])
    paths = [w for w in words[1:] if not w.startswith("-")]
    return (paths[0], append) if paths else None


def writefile_cells(cells: Iterable[Cell]) -> list[tuple[Cell, str, bool, str]]:
    """(cell, normalised path, append, body) of every non-step `%%writefile` cell, in order."""
    found = []
    for cell in cells:
        if cell.role == "step" or not cell.source.startswith("%%"):
            continue
        first, _, body = cell.source.partition("\n")
        target = _target(first)
        if target is None:
            continue
        path = posixpath.normpath(target[0])
        found.append((cell, path, target[1], body if body.endswith("\n") else body + "\n"))
    return found


def _module_path(path: str) -> str | None:
    """The top-level module a written `.py` file provides (`util.py` -> util, `pkg/__init__.py`
    or `pkg/x.py` -> pkg), when it lies in the notebook's folder (what the kernel imports)."""
    if not path.endswith(".py") or path.startswith(("/", "../")) or path == "..":
        return None
    top = path.split("/")[0].removesuffix(".py")
    return top if top.isidentifier() else None


def _imports(source: str) -> set[str]:
    """Top-level modules a Python source imports (absolute imports only)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def written_modules(cells: Iterable[Cell], imported: Iterable[str]) -> list[WrittenModule]:
    """The written modules the steps need: those whose top-level name `imported` (dotted
    module names the steps and helpers import) reaches, followed through their own imports."""
    files: dict[str, tuple[list[int], str]] = {}
    for cell, path, append, body in writefile_cells(cells):
        if _module_path(path) is None:
            continue
        cells_so_far, text = files.get(path, ([], ""))
        files[path] = ([*cells_so_far, cell.index], text + body) if append else ([cell.index], body)
    tops: dict[str, list[str]] = {}
    for path in files:
        tops.setdefault(_module_path(path) or "", []).append(path)
    wanted = {m.split(".")[0] for m in imported} & set(tops)
    pending = sorted(wanted)
    while pending:
        for path in tops[pending.pop()]:
            for top in sorted(_imports(files[path][1]) & set(tops)):
                if top not in wanted:
                    wanted.add(top)
                    pending.append(top)
    return [
        WrittenModule(path, tuple(files[path][0]), files[path][1])
        for path in sorted(files)
        if _module_path(path) in wanted
    ]


def module_imports(modules: Iterable[WrittenModule]) -> set[str]:
    """What the shipped modules import themselves (pinned in requirements.txt like a step's)."""
    return {top for m in modules for top in _imports(m.source)}


def top_name(module: WrittenModule) -> str:
    return _module_path(module.path) or ""
