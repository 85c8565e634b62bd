"""Files cells hand each other: an order the pipeline must be told, or a file it never makes.

A notebook can hand data between cells through a file (`obs.to_csv("clean.csv")`, then
`pd.read_csv("clean.csv")` in a later cell). Such a file is not a step value, so nothing orders
the reading step after the writing one: the runner may start it first (or in parallel), and
where the notebook already ran it reads the file the notebook left behind, so verification
passes and a clean checkout fails. A later step that names a file an earlier step writes,
without running after that step (data or `after:`), is refused, naming both cells.

A file only a skipped (or untagged preamble) cell writes, the "download once" cell an
experienced user tags `skip`, is never made by the pipeline: in the cluster or a clean checkout
the reading step finds nothing, and `--verify` would pass only on the file the notebook left
here. A step reading such a file is refused, naming the skipped cell, the file and the step,
with the two fixes (tag the cell into a step, or pass the file as a parameter); when the step
reads it through a parameter already, the default is a warning (the parameter is the way to
point the pipeline at a copy it can read).

Which file an expression names is worked out statically by `workbench.compiler.paths` (what
it sees and what not is listed there); files other libraries write (`model.save_pretrained(...)`,
a `kaggle` download) are not seen either: such a handoff is neither ordered nor refused, and
`--verify` sees it only when it diverges.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from workbench.compiler.blocks import Blocks, Prepared
from workbench.compiler.checks import error_at
from workbench.compiler.diagnostics import Diagnostics
from workbench.compiler.graph import ancestors
from workbench.compiler.names import Ref
from workbench.compiler.paths import Paths, constants
from workbench.spec.model import ParamSpec

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
# writers whose other arguments are sources, not targets: the target's position and keyword
# (urllib's urlretrieve, gdown.download, boto3's download_file, shutil's copies)
TARGETED = {
    "urlretrieve": (1, "filename"),
    "download": (1, "output"),
    "download_file": (2, "Filename"),
    "copy": (1, "dst"),
    "copy2": (1, "dst"),
    "copyfile": (1, "dst"),
    "move": (1, "dst"),
}
# calls that fill a folder (zipfile/tarfile `extractall(path)`, shutil.unpack_archive): a read
# of any file under it counts
FOLDER_WRITERS = {"extractall": (0, "path"), "unpack_archive": (1, "extract_dir")}


def _opened_for_writing(node: ast.Call) -> bool:
    mode = node.args[1] if len(node.args) > 1 else None
    mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and any(c in mode.value for c in "wax+")
    )


def written(tree: ast.AST, paths: Paths | None = None) -> list[tuple[str, int]]:
    """(path, line) of every write to a file whose name `paths` can evaluate, in walk order;
    a folder an archive is extracted into ends with "/"."""
    paths = paths or Paths({}, set())
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        candidates: list[ast.expr] = []
        folder = name in FOLDER_WRITERS
        if name in WRITERS:
            candidates = [*node.args, *(k.value for k in node.keywords)]
            if name in ("write_text", "write_bytes") and isinstance(func, ast.Attribute):
                candidates = [func.value]
        elif name in TARGETED or folder:
            position, keyword = (FOLDER_WRITERS if folder else TARGETED)[name]
            candidates = [k.value for k in node.keywords if k.arg == keyword]
            if not candidates and len(node.args) > position:
                candidates = [node.args[position]]
        elif name == "open" and node.args and _opened_for_writing(node):
            candidates = [node.args[0]]
        for candidate in candidates:
            path = paths.value(candidate)
            if path is not None:
                found.append((path + "/" if folder else path, node.lineno))
    return found


def _mentions(tree: ast.AST, paths: Paths) -> list[tuple[str, int, bool]]:
    """(path, line, through a parameter) of every outermost expression naming a file."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.expr) and not (
            isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
        ):
            path = paths.value(node)
            if path is not None and not (
                isinstance(node, ast.Constant) and not isinstance(node.value, str)
            ):
                found.append((path, getattr(node, "lineno", 1), paths.params_used))
                return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _under(path: str, written_path: str) -> bool:
    if written_path.endswith("/"):
        folder = written_path.rstrip("/")
        return path == folder or path.startswith(folder + "/")
    return path == written_path


def _reads(tree: ast.AST, path: str, paths: Paths) -> tuple[int, bool] | None:
    """(line, through a parameter) of the first mention of `path` in `tree`, unless every
    mention is a write (a cell that only writes the file again does not depend on the earlier
    write)."""
    key = id(tree)
    if key not in paths.seen:  # each cell is evaluated once, however many files are checked
        paths.seen[key] = (tree, _mentions(tree, paths), written(tree, paths))
    _, mentions, writes_in = paths.seen[key]
    lines = [(line, via) for p, line, via in mentions if _under(p, path)]
    writes = sum(1 for p, _ in writes_in if p == path)
    return min(lines) if len(lines) > writes else None


def check_shared_files(
    blocks: Blocks,
    edges: set[tuple[str, str]],
    diags: Diagnostics,
    params: dict[str, ParamSpec] | None = None,
) -> None:
    """A step naming a file an earlier step writes must run after that step; a step naming a
    file only a skipped cell writes is refused (or, through a parameter, warned about)."""
    paths = constants(blocks, params or {})
    above = ancestors(edges)
    writes: list[tuple[str, str, Ref]] = []  # (step, path, where)
    for step, cells in blocks.steps.items():
        for prepared in cells:
            for path, line in written(prepared.tree, paths):
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
                at = _reads(prepared.tree, path, paths)
                if at is None:
                    continue
                reported.add((reader, path))
                error_at(
                    blocks,
                    diags,
                    Ref(prepared.cell.index, at[0]),
                    f"step {reader!r} uses the file {path!r}, which step {writer!r} writes (cell "
                    f"{where.cell}, line {where.line}), but does not run after it: a file is not "
                    "a step value, so the pipeline may run the steps in either order",
                    name=path,
                    hint=f"tag this cell after:{writer}, or pass the data as a value",
                )
                break
    by_steps = {path for _, path, _ in writes}
    _check_skipped_writes(blocks, paths, by_steps, diags)


def _skipped_writes(blocks: Blocks, paths: Paths) -> list[tuple[str, Ref]]:
    """(path, where) of the files cells the pipeline does not run write: `skip` cells and the
    untagged preamble (code, or `%%writefile` of anything but a module the steps import)."""
    from workbench.compiler.written import writefile_cells

    found: list[tuple[str, Ref]] = []
    skipped = [p for p in blocks.cells.values() if p.cell.role in ("skip", "preamble")]
    for prepared in sorted(skipped, key=lambda p: p.cell.index):
        for path, line in written(prepared.tree, paths):
            found.append((path, Ref(prepared.cell.index, line)))
    for cell, path, _append, _body in writefile_cells(p.cell for p in skipped):
        if not path.endswith(".py"):
            found.append((path, Ref(cell.index, 1)))
    return found


def _check_skipped_writes(
    blocks: Blocks, paths: Paths, by_steps: set[str], diags: Diagnostics
) -> None:
    reported: set[tuple[str, str]] = set()
    for path, where in _skipped_writes(blocks, paths):
        if path in by_steps:
            continue  # a step makes it too: the pipeline has it (ordering is checked above)
        role = blocks.cells[where.cell].cell.role
        kind = "skipped cell" if role == "skip" else "untagged cell before the first step"
        shown = path.rstrip("/") + (" (a folder)" if path.endswith("/") else "")
        for reader, cells in blocks.steps.items():
            if (reader, path) in reported:
                continue
            for prepared in _after(cells, where.cell):
                at = _reads(prepared.tree, path, paths)
                if at is None:
                    continue
                reported.add((reader, path))
                line, via_param = at
                said = (
                    f"step {reader!r} reads the file {shown!r} (cell {prepared.cell.index}, line "
                    f"{line}), which only the {kind} {where.cell} (line {where.line}) writes: the "
                    "pipeline does not run that cell, so where the notebook never ran (the "
                    "cluster, a clean checkout) the file is missing, and --verify would pass only "
                    "on the copy the notebook left here"
                )
                if via_param:
                    diags.warning(
                        said,
                        cell=prepared.cell.index,
                        cell_id=prepared.cell.id,
                        line=line,
                        name=path,
                        hint="the path is a parameter: run the pipeline with --param pointing "
                        "at a copy its steps can read (e.g. s3://...)",
                    )
                else:
                    error_at(
                        blocks,
                        diags,
                        Ref(where.cell, where.line),
                        said,
                        name=path,
                        hint=f"tag cell {where.cell} `step:NAME` (and the reader `after:NAME`) so "
                        "the pipeline makes the file, or make the path a parameter (in the "
                        "`parameters` cell) and pass a copy the steps can read",
                    )
                break


def _after(cells: Iterable[Prepared], index: int) -> list[Prepared]:
    return [p for p in cells if p.cell.index > index]
