"""Containers of other names (`combine = [train_df, test_df]`), the Kaggle idiom.

In the notebook `combine[0] is train_df`: changing a frame through the loop variable
(`for df in combine: df["x"] = ...`) changes `train_df` too. Stored as separate artifacts,
`combine` and `train_df` would be two unrelated copies. So:
- a step changing elements through such a container changes each element name as well (they
  become its outputs when later steps read them);
- a step reading the container gets its elements as inputs and rebuilds it from them with the
  notebook's own literal, at the start of the step (`combine = [train_df, test_df]`), so the
  sharing is the notebook's; the container itself never crosses a step boundary;
- when the container cannot be rebuilt (an element was rebound after the container was made)
  and the step changes elements through it, the step is refused, naming the cell.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from workbench.compiler.blocks import Blocks, Prepared
from workbench.compiler.names import Ref, Usage


@dataclass(frozen=True)
class Container:
    position: int  # first cell of the block that made it
    owner: str  # step name, "" for a non-step cell
    ref: Ref
    elements: tuple[str, ...]
    text: str


def _blocks(blocks: Blocks) -> list[tuple[int, str, Usage, list[Prepared]]]:
    out = [
        (cells[0].cell.index, step, blocks.step_usage[step], cells)
        for step, cells in blocks.steps.items()
        if cells
    ]
    out += [
        (p.cell.index, "", blocks.cell_usage[p.cell.index], [p])
        for p in blocks.other
        if p.cell.role not in ("skip", "metrics")
    ]
    return sorted(out, key=lambda item: item[0])


def latest_container(blocks: Blocks, name: str, before: int, reader: str) -> Container | None:
    """The container literal `name` was last assigned, when its last assignment before cell
    `before` (by a block other than `reader`) is one."""
    found: Container | None = None
    for position, owner, usage, _ in _blocks(blocks):
        if position >= before or (owner == reader and owner):
            continue
        if name in usage.writes:
            found = None
            if name in usage.containers:
                ref, elements, text = usage.containers[name]
                found = Container(position, owner, ref, elements, text)
    return found


def propagate_mutations(blocks: Blocks) -> None:
    """A step changing a container's elements (through a loop variable) changes the element
    names too."""
    for step, cells in blocks.steps.items():
        if not cells:
            continue
        usage = blocks.step_usage[step]
        for name, ref in list(usage.mutations.items()):
            found = latest_container(blocks, name, cells[0].cell.index, step)
            for element in found.elements if found else ():
                if element not in usage.writes:
                    usage.mutations.setdefault(element, ref)


def rebuildable(blocks: Blocks, container: Container, reader: str, first: int) -> bool:
    """Whether every element still names the object the container holds when `reader` starts."""
    for position, owner, usage, cells in _blocks(blocks):
        if owner == reader and owner:
            continue
        if container.position < position < first and set(container.elements) & set(usage.writes):
            return False
        if position == container.position:
            for prepared in cells:
                for node in ast.walk(prepared.tree):
                    if (
                        isinstance(node, ast.Name)
                        and isinstance(node.ctx, ast.Store)
                        and node.id in container.elements
                        and (prepared.cell.index, node.lineno)
                        > (container.ref.cell, container.ref.line)
                    ):
                        return False
    usage = blocks.step_usage[reader]
    return not set(container.elements) & set(usage.writes)
