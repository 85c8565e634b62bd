"""What the recorded execution saw that the static analysis did not: a pure pass over the trace
written by workbench.verify.probe.

- A name a later step reads whose notebook value was last changed (in place) by a step that is
  not the name's producer in the spec: that step becomes its producer (a runtime output), when
  it reads the name; when it does not, it changed it through another name (a shared object) and
  the pipeline cannot reproduce that: refused.
- Names sharing an object (`combine = [train_df, test_df]`, a loop variable bound to a dict's
  value) that a cell changes together, while a later step reads one of them: stored as
  separate artifacts they stop sharing, so refused, naming both.
- Other in-place changes of names a step does not output are notes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from workbench.spec.model import PipelineSpec, StepSpec


@dataclass(frozen=True)
class RuntimeOutput:
    """`step` changes `name` in place in `cell`; `reader` reads that value."""

    step: str
    name: str
    cell: int
    reader: str

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "name": self.name, "reader": self.reader, "step": self.step}


@dataclass(frozen=True)
class Problem:
    """One reason the pipeline cannot equal the notebook (a message for `--verify`)."""

    step: str
    name: str
    cell: int | None
    what: str
    cause: str
    reader: str = ""  # the later step that reads the value (a shared-objects problem)

    @property
    def names(self) -> list[str]:
        return self.name.split(", ")

    def render(self, notebook: str) -> str:
        where = f"cell {self.cell}" if self.cell is not None else "the notebook"
        return f"{notebook}: step {self.step}: {self.name} ({where}): {self.what} [{self.cause}]"


@dataclass
class Findings:
    outputs: list[RuntimeOutput]
    problems: list[Problem]
    notes: list[str]


def step_of_cells(spec: PipelineSpec) -> dict[int, str]:
    return {cell.index: step.name for step in spec.steps for cell in step.cells}


def _readers_after(spec: PipelineSpec, name: str, cell: int) -> list[StepSpec]:
    return [s for s in spec.steps if name in s.inputs and s.cells[0].index > cell]


def analyse_trace(spec: PipelineSpec, trace: dict[str, Any]) -> Findings:
    owner = step_of_cells(spec)
    changes: list[dict[str, Any]] = trace.get("changes", [])
    found = Findings([], [], [])
    # the notebook value each reader sees: the last change before its first cell
    for reader in spec.steps:
        start = reader.cells[0].index
        for name in reader.inputs:
            source = reader.input_sources.get(name)
            last = [c for c in changes if c["name"] == name and c["cell"] < start]
            if source is None or not last:
                continue
            change = last[-1]
            step = owner.get(change["cell"])
            source = _passed_through(spec, owner, changes, source, name)
            if step is None or step == source or step == reader.name:
                continue
            producer = spec.step(step)
            if not change["inplace"]:
                found.problems.append(
                    Problem(
                        step,
                        name,
                        change["cell"],
                        f"rebound in a way the analysis did not see; {reader.name} would read "
                        f"the value of step {source}",
                        "untracked binding",
                    )
                )
            elif name in producer.inputs or name in producer.outputs:
                found.outputs.append(RuntimeOutput(step, name, change["cell"], reader.name))
            else:
                found.problems.append(
                    Problem(
                        step,
                        name,
                        change["cell"],
                        f"changed in place without being read by step {step} (through a shared "
                        f"object{_partners(trace, name)}); {reader.name} reads it",
                        "shared objects",
                        reader.name,
                    )
                )
    found.problems.extend(_shared_problems(spec, trace, owner))
    found.problems = _one_per_root_cause(found.problems, trace)
    refused = {n for p in found.problems for n in p.names}
    rewired = {(o.step, o.name) for o in found.outputs}
    for change in changes:
        step = owner.get(change["cell"])
        if step is None or not change["inplace"] or (step, change["name"]) in rewired:
            continue
        if change["name"] in spec.step(step).outputs or change["name"] in refused:
            continue
        earlier = [c for c in changes if c["name"] == change["name"] and c["cell"] < change["cell"]]
        if earlier and owner.get(earlier[-1]["cell"]) != step:
            found.notes.append(
                f"step {step} changes {change['name']} in place (cell {change['cell']}) without "
                "outputting it; no later step reads it"
            )
    found.notes = sorted(set(found.notes))
    return found


def _passed_through(
    spec: PipelineSpec, owner: dict[int, str], changes: list[dict[str, Any]], source: str, name: str
) -> str:
    """The step whose value of `name` `source` outputs: `source` itself, or, when it only
    passes an input through (it binds `name` in a branch that did not run), its own source."""
    seen: set[str] = set()
    while source not in seen:
        seen.add(source)
        step = spec.step(source)
        touched = any(c["name"] == name and owner.get(c["cell"]) == source for c in changes)
        if touched or name not in step.input_sources:
            return source
        source = step.input_sources[name]
    return source


def _pairs(trace: dict[str, Any]) -> list[list[str]]:
    seen: list[list[str]] = []
    for step in sorted(trace.get("boundaries", {})):
        for key in ("shared", "shared_out"):
            for pair in trace["boundaries"][step].get(key, []):
                if pair not in seen:
                    seen.append(pair)
    return seen


def _partners(trace: dict[str, Any], name: str) -> str:
    hows = [how for a, b, how in _pairs(trace) if name in (a, b)]
    return f": {'; '.join(hows[:3])}" if hows else ""


def _shared_problems(
    spec: PipelineSpec, trace: dict[str, Any], owner: dict[int, str]
) -> list[Problem]:
    """Pairs sharing an object that one cell changes together, one of them read later."""
    by_cell: dict[int, set[str]] = {}
    for change in trace.get("changes", []):
        if change["inplace"]:
            by_cell.setdefault(change["cell"], set()).add(change["name"])
    problems: list[Problem] = []
    for a, b, how in _pairs(trace):
        for cell, names in sorted(by_cell.items()):
            step = owner.get(cell)
            if step is None or not {a, b} <= names:
                continue
            readers = _readers_after(spec, a, cell) + _readers_after(spec, b, cell)
            if readers:
                problems.append(
                    Problem(
                        step,
                        f"{a}, {b}",
                        cell,
                        f"{how}: the cell changes both; as separate artifacts they stop sharing "
                        f"and step {readers[0].name} would miss the change; keep them in one "
                        "value or copy one (e.g. `.copy()`) before the pipeline boundary",
                        "shared objects",
                        readers[0].name,
                    )
                )
                break
    return problems


def _one_per_root_cause(problems: list[Problem], trace: dict[str, Any]) -> list[Problem]:
    """One message per aliasing root cause: the shared-objects problems one cell causes
    (`df` changed through `view`, `view is df`, `df is view`) merged into one naming the cell,
    the name a later step reads and the alias it was changed through."""
    groups: list[list[Problem]] = []
    for problem in problems:
        if problem.cause != "shared objects":
            groups.append([problem])
            continue
        for group in groups:
            head = group[0]
            if (
                head.cause == problem.cause
                and (head.step, head.cell) == (problem.step, problem.cell)
                and {n for p in group for n in p.names} & set(problem.names)
            ):
                group.append(problem)
                break
        else:
            groups.append([problem])
    merged: list[Problem] = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        names = list(dict.fromkeys(n for p in group for n in p.names))
        # the name read later: one the step changed without reading it, else the first named
        roots = [p.name for p in group if len(p.names) == 1] or [names[0]]
        root = roots[0]
        aliases = [n for n in names if n != root]
        reader = next((p.reader for p in group if p.reader), "")
        hows = [how for a, b, how in _pairs(trace) if root in (a, b) and {a, b} & set(aliases)]
        alias = ", ".join(aliases) or "another name"
        how = f" ({hows[0]})" if hows else ""
        merged.append(
            Problem(
                group[0].step,
                ", ".join([root, *aliases]),
                group[0].cell,
                f"{root} is changed in place through its alias {alias}{how}; step "
                f"{reader or 'a later step'} reads {root}, which the pipeline stores apart from "
                f"{alias} (separate artifacts do not share), so it would miss the change: keep "
                f"them one value, or copy before changing (e.g. `{aliases[0] if aliases else alias}"
                f" = {root}.copy()`)",
                "shared objects",
                reader,
            )
        )
    return merged


def apply_runtime_outputs(spec: PipelineSpec, outputs: list[dict[str, Any]]) -> PipelineSpec:
    """The spec with each runtime output made a step output and wired to its reader; entries
    that no longer fit the spec (the notebook changed) are ignored."""
    steps = {s.name: s for s in spec.steps}
    edges = set(spec.edges)
    models = {n for s in spec.steps for n in s.models}
    for item in outputs:
        step, reader, name = steps.get(item["step"]), steps.get(item["reader"]), item["name"]
        if step is None or reader is None or name not in reader.inputs:
            continue
        if name not in step.inputs and name not in step.outputs:
            continue
        steps[step.name] = replace(
            step,
            outputs=tuple(sorted({*step.outputs, name})),
            models=tuple(sorted({*step.models, *({name} & models)})),
        )
        reader = steps[reader.name]
        steps[reader.name] = replace(
            reader,
            input_sources={**reader.input_sources, name: step.name},
            depends_on=tuple(sorted({*reader.depends_on, step.name})),
        )
        edges.add((step.name, reader.name))
    return replace(spec, steps=tuple(steps[s.name] for s in spec.steps), edges=tuple(sorted(edges)))
