"""Data flow: resolve every name a step reads to what provides it.

A step's read (a name used before the step binds it) resolves to the latest binding in an
earlier cell, in notebook order: a parameter, an import, a helper, or another step's value (the
step's input, and that step's output). A step that changes an input in place binds it again
(names.py lists the mutation rules), so later readers get the value the notebook had. Imports
written in any (non-skipped) cell count for every step, even when written further down.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

from workbench.compiler.blocks import Blocks
from workbench.compiler.names import ImportBinding, Ref

# get_ipython only appears in translated magics, which are errors or dropped already
BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__builtins__", "get_ipython"}
# Names IPython puts in every notebook's namespace: a step module imports them explicitly.
IPYTHON_NAMES = {"display": ImportBinding("IPython.display", "display", "")}


@dataclass(frozen=True)
class Binding:
    position: int  # notebook cell index where the binding happens
    kind: str  # param | import | helper | step | skip | preamble
    owner: str = ""  # the step name for kind "step"
    ref: Ref | None = None
    binding: ImportBinding | None = None


@dataclass
class Resolved:
    """What one reader (a step or the metrics cell) gets for each name it reads."""

    inputs: dict[str, str] = field(default_factory=dict)  # name -> producing step
    params: set[str] = field(default_factory=set)
    imports: dict[str, ImportBinding] = field(default_factory=dict)
    helpers: set[str] = field(default_factory=set)
    problems: list[tuple[str, Ref, str, str]] = field(default_factory=list)  # name, ref, msg, hint


def bindings(blocks: Blocks, param_names: set[str]) -> dict[str, list[Binding]]:
    """Every binding of every name, sorted by notebook position."""
    table: dict[str, list[Binding]] = {}
    # Changing a module's state (`pd.options.x = ...`) does not make the module a value.
    modules = {
        n for u in [*blocks.cell_usage.values(), *blocks.step_usage.values()] for n in u.imports
    }

    def add(name: str, item: Binding) -> None:
        table.setdefault(name, []).append(item)

    for prepared in blocks.params:
        for name in param_names:
            if name in blocks.cell_usage[prepared.cell.index].writes:
                add(name, Binding(prepared.cell.index, "param"))
    for prepared in [*blocks.functions, *blocks.other]:
        index = prepared.cell.index
        usage = blocks.cell_usage[index]
        role = prepared.cell.role
        for name, binding in usage.imports.items():
            if role != "skip":
                add(name, Binding(index, "import", ref=usage.import_refs[name], binding=binding))
        for name, ref in {**usage.writes, **usage.mutations}.items():
            if name in usage.imports or (name in modules and name not in usage.writes):
                continue
            if role == "functions":
                add(name, Binding(index, "helper", ref=ref))
            elif role in ("skip", "preamble", "imports"):
                add(name, Binding(index, "skip" if role == "skip" else "preamble", ref=ref))
    for step, usage in blocks.step_usage.items():
        cells = blocks.steps[step]
        if not cells:
            continue
        first = cells[0].cell.index
        for name, binding in usage.imports.items():
            add(name, Binding(first, "import", step, usage.import_refs[name], binding))
        for name, ref in {**usage.writes, **usage.mutations}.items():
            if name in usage.imports or (name in modules and name not in usage.writes):
                continue
            add(name, Binding(first, "step", step, ref))
    for items in table.values():
        items.sort(key=lambda b: (b.position, b.kind != "import"))
    return table


def resolve(
    reads: dict[str, Ref], position: int, table: dict[str, list[Binding]], reader: str
) -> Resolved:
    out = Resolved()
    for name, ref in sorted(reads.items()):
        items = table.get(name, [])
        earlier = [b for b in items if b.position < position and b.owner != reader]
        if earlier:
            latest = earlier[-1]
            if latest.kind == "step":
                out.inputs[name] = latest.owner
            elif latest.kind == "param":
                out.params.add(name)
            elif latest.kind == "import" and latest.binding is not None:
                out.imports[name] = latest.binding
            elif latest.kind == "helper":
                out.helpers.add(name)
            else:
                what = (
                    "skipped cell"
                    if latest.kind == "skip"
                    else "untagged cell before the first step"
                )
                out.problems.append(
                    (
                        name,
                        ref,
                        f"`{name}` is last set by {what} {latest.position}, which the pipeline "
                        "leaves out",
                        f"move the code that sets `{name}` into a step (or drop the skip tag), "
                        f"or set `{name}` in this step",
                    )
                )
            continue
        anywhere = [b for b in items if b.kind == "import" and b.binding is not None]
        if anywhere:
            out.imports[name] = anywhere[0].binding  # type: ignore[assignment]
        elif name in IPYTHON_NAMES:
            out.imports[name] = IPYTHON_NAMES[name]
        elif name in BUILTINS:
            continue
        elif items:
            later = items[0]
            where = f"step {later.owner!r}, " if later.owner else ""
            out.problems.append(
                (
                    name,
                    ref,
                    f"`{name}` is used before any earlier cell defines it (first set in "
                    f"{where}cell {later.position})",
                    "steps run in notebook order: define it in an earlier cell",
                )
            )
        else:
            out.problems.append(
                (
                    name,
                    ref,
                    f"`{name}` is not defined in any cell",
                    f"define `{name}` in an earlier step, the parameters cell, or import it",
                )
            )
    return out
