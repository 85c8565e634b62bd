"""A model of how Argo Workflows walks the CI WorkflowTemplate's DAGs, for the subset the CI
emitter generates, so the tests can follow a run through the generated YAML: which tasks run,
in which order, and which image each pod would start.

Modelled on argo-workflows workflow/controller/dag.go and util/template: `{{workflow.
parameters.X}}`, `{{tasks.T.outputs.parameters.P}}` and `{{workflow.outputs.parameters.G}}`
(set by an output's globalName) are substituted; an unresolved global output stays the literal
`{{...}}` (non-strict tags); `when` is govaluate over quoted strings with `==`, `!=`, `=~`
and `&&`; `depends` is `T.Succeeded` terms joined by `&&` / `||` (a Skipped or Omitted task is
not Succeeded); a task whose `when` is false is Skipped, one whose `depends` is false Omitted.
Every task that runs succeeds, and its outputs come from `outputs` given by the test. Anything
else (other operators, other variables, steps templates, loops) is refused by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TAG = re.compile(r"\{\{([^{}]+)\}\}")
_TERM = re.compile(r"^'([^']*)' (==|!=|=~) '([^']*)'$")
_DEPEND = re.compile(r"^([a-z0-9-]+)\.Succeeded$")


class Unsupported(Exception):
    """The workflow uses a feature this model does not evaluate."""


@dataclass
class Run:
    parameters: dict[str, str]  # workflow.parameters as the controller resolved them
    outputs: dict[str, dict[str, str]]  # template name -> output parameter -> value
    phases: dict[str, str] = field(default_factory=dict)  # task -> Succeeded/Skipped/Omitted
    order: list[str] = field(default_factory=list)  # tasks that ran, in a valid order
    images: dict[str, str] = field(default_factory=dict)  # task -> the pod's image
    globals: dict[str, str] = field(default_factory=dict)  # workflow.outputs.parameters


def _fill(text: str, run: Run, scope: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        key = m.group(1).strip()
        if key.startswith("workflow.parameters."):
            return run.parameters[key.removeprefix("workflow.parameters.")]
        if key.startswith("workflow.outputs.parameters."):
            return run.globals.get(key.removeprefix("workflow.outputs.parameters."), m.group(0))
        if key in scope:
            return scope[key]
        if key.startswith("tasks."):
            raise Unsupported(f"{key}: not produced by a task that ran before")
        return m.group(0)  # resolved later (inputs.*) or at run time (workflow.name)

    return _TAG.sub(one, text)


def _when(expr: str) -> bool:
    result = True
    for term in expr.split(" && "):
        m = _TERM.match(term.strip())
        if not m:
            raise Unsupported(f"when {expr!r}: only 'a' ==|!=|=~ 'b' joined by && modelled")
        left, op, right = m.groups()
        ok = left == right if op == "==" else left != right if op == "!=" else bool(
            re.search(right, left)
        )  # fmt: skip
        result = result and ok
    return result


def _depends(expr: str, phases: dict[str, str]) -> bool | None:
    """True/False once every named task has a phase; None while one is still pending."""
    alternatives = []
    for alternative in expr.split(" || "):
        terms = []
        for term in alternative.split(" && "):
            m = _DEPEND.match(term.strip())
            if not m:
                raise Unsupported(f"depends {expr!r}: only T.Succeeded with && and || modelled")
            if m.group(1) not in phases:
                return None
            terms.append(phases[m.group(1)] == "Succeeded")
        alternatives.append(all(terms))
    return any(alternatives)


def run_dag(wt: dict[str, Any], dag: str, run: Run) -> Run:
    """Walk the DAG template `dag` of the WorkflowTemplate `wt` (its spec) as Argo would."""
    templates = {t["name"]: t for t in wt["spec"]["templates"]}
    tasks = {t["name"]: t for t in templates[dag]["dag"]["tasks"]}
    scope: dict[str, str] = {}
    while len(run.phases) < len(tasks):
        progressed = False
        for name, task in tasks.items():
            if name in run.phases:
                continue
            ready = _depends(task["depends"], run.phases) if "depends" in task else True
            if ready is None:
                continue
            progressed = True
            if not ready:
                run.phases[name] = "Omitted"
                continue
            if "when" in task and not _when(_fill(task["when"], run, scope)):
                run.phases[name] = "Skipped"
                continue
            template = templates[task["template"]]
            args = {
                p["name"]: _fill(str(p["value"]), run, scope)
                for p in task.get("arguments", {}).get("parameters", [])
            }
            declared = {p["name"] for p in template.get("inputs", {}).get("parameters", [])}
            if set(args) != declared:
                raise Unsupported(f"{name}: arguments {sorted(args)} for inputs {sorted(declared)}")
            if "container" in template:
                image = template["container"]["image"]
                for key, value in args.items():
                    image = image.replace(f"{{{{inputs.parameters.{key}}}}}", value)
                run.images[name] = image
            for out in template.get("outputs", {}).get("parameters", []):
                value = run.outputs[task["template"]][out["name"]]
                scope[f"tasks.{name}.outputs.parameters.{out['name']}"] = value
                if out.get("globalName"):
                    run.globals[out["globalName"]] = value
            run.phases[name] = "Succeeded"
            run.order.append(name)
        if not progressed:
            raise Unsupported(
                f"{dag}: tasks wait on each other: {sorted(set(tasks) - set(run.phases))}"
            )
    return run
