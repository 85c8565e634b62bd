"""`productionize --verify`: execute the notebook once (papermill, with the recorder and the
tracer), then the generated pipeline chained, and compare every step's outputs with the
notebook's values at that step's boundary.

    recorded = record(notebook, spec, temp, root)        # fixtures + trace + whole outputs
    spec = recorded.spec                                  # with runtime outputs re-emitted
    ... write the generated files ...
    outcome = check_chain(notebook, recorded, temp)       # run the steps, compare, explain

A difference in floats within the stated tolerance is accepted only when a second execution of
the notebook shows that value is not bit-reproducible in the notebook itself; the second
execution happens only when something differs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.spec.model import PipelineSpec
from workbench.verify.mutation import Findings, Problem, analyse_trace, apply_runtime_outputs


@dataclass
class Recorded:
    spec: PipelineSpec
    findings: Findings
    trace: dict[str, Any]
    folder: Path  # fixtures/, trace/ (trace.json, values/STEP/NAME.pkl)
    root: Path


@dataclass
class Outcome:
    verdict: dict[str, Any]
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict.get("status") == "equal"


def _execute(notebook: Path, spec: PipelineSpec, folder: Path, root: Path) -> dict[str, Any]:
    from workbench.compiler.record import record_notebook
    from workbench.verify.chain import isolated_stores

    with isolated_stores(folder / "stores"):
        record_notebook(notebook, spec, folder / "fixtures", root=root, trace=folder / "trace")
    data: dict[str, Any] = json.loads((folder / "trace" / "trace.json").read_text())
    return data


def record(notebook: Path, spec: PipelineSpec, temp: Path, root: Path) -> Recorded:
    """Execute the notebook with fixtures and trace; re-wire the outputs the trace shows the
    static analysis missed (then execute again, so fixtures and values match the new spec)."""
    folder = temp / "run-1"
    trace = _execute(notebook, spec, folder, root)
    findings = analyse_trace(spec, trace)
    carried = list(spec.verification.get("runtime_outputs", []))
    if findings.outputs:
        wanted = carried + [o.to_dict() for o in findings.outputs]
        spec = apply_runtime_outputs(spec, wanted)
        folder = temp / "run-2"
        trace = _execute(notebook, spec, folder, root)
        again = analyse_trace(spec, trace)
        findings = Findings(findings.outputs, again.problems, findings.notes + again.notes)
    return Recorded(spec, findings, trace, folder, root)


def _last_cell(trace: dict[str, Any], name: str, before: int) -> int | None:
    cells = [c["cell"] for c in trace["changes"] if c["name"] == name and c["cell"] <= before]
    return cells[-1] if cells else None


def _lossy(value: Any, temp: Path) -> str | None:
    """The artifact format, when writing and reading the notebook's value changes it."""
    from workbench.runtime.artifacts import read_meta, read_value, write_value
    from workbench.verify.compare import compare_values

    uri = str(temp / "roundtrip")
    try:
        write_value(value, uri)
        back = read_value(uri)
    except Exception as exc:  # a value the codec cannot take at all
        return f"cannot be stored ({type(exc).__name__}: {exc})"
    diff = compare_values(value, back)
    return None if diff is None else f"{read_meta(uri)['format']} ({diff.render('value')})"


def _not_reproducible(
    notebook: Path, recorded: Recorded, temp: Path, names: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """(step, name) pairs whose notebook value differs between two executions."""
    second = _execute(notebook, recorded.spec, temp / "run-again", recorded.root)
    first = recorded.trace["boundaries"]
    again = second["boundaries"]
    return {
        (step, name)
        for step, name in names
        if first.get(step, {}).get("exit", {}).get(name)
        != again.get(step, {}).get("exit", {}).get(name)
    }


@contextmanager
def _steps_importable(root: Path) -> Iterator[None]:
    """`root`'s `steps` package importable while the pipeline's artifacts are read: a value of
    a class from a `functions` cell is pickled as `steps.NAME._helpers.Class`. Another
    project's `steps` modules already imported are set aside meanwhile and put back after."""
    saved_path = list(sys.path)
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] == "steps"}
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for key in [k for k in sys.modules if k.split(".")[0] == "steps"]:
            del sys.modules[key]
        sys.modules.update(saved)


def check_chain(notebook: Path, recorded: Recorded, temp: Path) -> Outcome:
    """Run the written pipeline chained and compare it with the recorded notebook values."""
    import cloudpickle

    from workbench.runtime.artifacts import read_value
    from workbench.verify.chain import run_chain
    from workbench.verify.compare import Difference, compare_values
    from workbench.verify.verdict import build_verdict

    spec, trace = recorded.spec, recorded.trace
    label = spec.notebook
    uris, failed = run_chain(spec.name, temp / "chain", recorded.root)
    values = recorded.folder / "trace" / "values"
    diffs: dict[tuple[str, str], Any] = {}
    results: dict[str, dict[str, str]] = {}
    with _steps_importable(recorded.root):
        for step in spec.steps:
            if step.name in failed:
                continue
            results[step.name] = {}
            for name in step.outputs:
                pickled = values / step.name / f"{name}.pkl"
                if not pickled.is_file():
                    error = values / step.name / f"{name}.error"
                    why = error.read_text() if error.is_file() else "not bound in the notebook"
                    diffs[(step.name, name)] = (Difference(f"cannot be compared: {why}"), None)
                    continue
                expected = cloudpickle.loads(pickled.read_bytes())
                try:
                    actual = read_value(uris[step.name][name])
                except Exception as exc:  # said as a divergence, never a traceback
                    why = f"the pipeline's value cannot be read ({type(exc).__name__}: {exc})"
                    diffs[(step.name, name)] = (Difference(why), expected)
                    continue
                diff = compare_values(expected, actual)
                if diff is None:
                    results[step.name][name] = "equal"
                else:
                    diffs[(step.name, name)] = (diff, expected)
    unstable = _not_reproducible(notebook, recorded, temp, set(diffs)) if diffs else set()
    problems = [p.render(label) for p in recorded.findings.problems]
    # what follows from a refused root cause (a step failing or differing on a name a problem
    # names) is said in that problem's message, not as messages of its own
    consequences: dict[int, list[str]] = {}
    blamed = {n: i for i, p in enumerate(recorded.findings.problems) for n in p.names}
    causes = {p.name: p.cause for p in recorded.findings.problems}
    messages: list[str] = []
    diverged: dict[str, str] = {}
    tolerant = False
    for step in spec.steps:
        if step.name in failed:
            root = next((blamed[n] for n in step.inputs if n in blamed), None)
            if root is not None:
                consequences.setdefault(root, []).append(f"step {step.name} fails")
            else:
                messages.append(f"{label}: step {step.name}: {failed[step.name]}")
            continue
        for name in step.outputs:
            if (step.name, name) not in diffs:
                continue
            diff, expected = diffs[(step.name, name)]
            if (step.name, name) in unstable and diff.close:
                results[step.name][name] = "equal within tolerance"
                tolerant = True
                continue
            results[step.name][name] = diff.render(name)
            cause = _cause(step, name, expected, causes, diverged, unstable, temp)
            diverged[name] = step.name
            root = next((blamed[n] for n in (name, *step.inputs) if n in blamed), None)
            if root is not None:
                consequences.setdefault(root, []).append(f"step {step.name}'s {name} differs")
                continue
            cell = _last_cell(trace, name, step.cells[-1].index)
            where = f"cell {cell}" if cell is not None else "the notebook"
            messages.append(
                f"{label}: step {step.name}: {name} (last changed in {where}) differs from "
                f"the notebook: {diff.render(name)} [likely cause: {cause}]"
            )
    messages = [
        text + (f" (as a result: {', '.join(consequences[i])})" if i in consequences else "")
        for i, text in enumerate(problems)
    ] + messages
    for failed_step in failed:
        results.pop(failed_step, None)
    verdict = build_verdict(
        spec,
        notebook,
        results,
        [o.to_dict() for o in recorded.findings.outputs]
        + list(spec.verification.get("runtime_outputs", [])),
        problems + [f"step {s}: failed" for s in sorted(failed)],
        tolerant,
    )
    verdict["runtime_outputs"] = _unique(verdict["runtime_outputs"])
    return Outcome(verdict, messages)


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _cause(
    step: Any,
    name: str,
    expected: Any,
    causes: dict[str, str],
    diverged: dict[str, str],
    unstable: set[tuple[str, str]],
    temp: Path,
) -> str:
    for key, cause in causes.items():
        if name in key.split(", "):
            return cause
    lossy = _lossy(expected, temp)
    if lossy:
        return f"lossy artifact format: {lossy}"
    upstream = sorted(n for n in step.inputs if n in diverged)
    if upstream:
        return f"input {upstream[0]} already differs (step {diverged[upstream[0]]})"
    if (step.name, name) in unstable:
        return "the notebook itself is not reproducible (two executions differ): seed it"
    return (
        "global state or an untracked change (the step's inputs equal the notebook's): "
        "library settings, seeds or globals set elsewhere, or a mutation the analysis missed"
    )


__all__ = ["Outcome", "Problem", "Recorded", "check_chain", "record"]
