"""A tiny stand-in for the Argo controller, for tests: runs a WorkflowTemplate's DAG locally.

It reads the emitted YAML (not the spec), resolves the DAG tasks' arguments (plain `{{…}}` tags
and the one expression form the emitter writes: `sprig.sha256sum` over literals, workflow
parameters and `sprig.trim` of task output parameters), substitutes `{{inputs.parameters.…}}`
into each container's exact command line, maps the container's artifact paths to local folders
(outputs at `<store>/<S3 key>`), runs it, and reads output parameters from `valueFrom.path`.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_TAG = re.compile(r"{{\s*([^{}=][^{}]*?)\s*}}")
_PARAM = re.compile(r"^workflow\.parameters\['([^']+)'\]$")
_TASK_OUT = re.compile(r"^sprig\.trim\(tasks\['([^']+)'\]\.outputs\.parameters\['([^']+)'\]\)$")


def _read_literal(text: str, i: int) -> tuple[str, int]:
    """An expr single-quoted literal starting at text[i] == "'": (value, index after it)."""
    out, i = [], i + 1
    escapes = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
    while text[i] != "'":
        if text[i] == "\\":
            out.append(escapes[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out), i + 1


def evaluate_expression(expr: str, scope: dict[str, Any]) -> str:
    """Evaluate `sprig.sha256sum(term + term …)` as Argo would, for the emitter's term kinds."""
    prefix, suffix = "sprig.sha256sum(", ")"
    assert expr.startswith(prefix) and expr.endswith(suffix), expr
    body, i, parts = expr[len(prefix) : -len(suffix)], 0, []
    while i < len(body):
        if body[i] == "'":
            value, i = _read_literal(body, i)
            parts.append(value)
        elif body.startswith(prefix, i):  # a nested key: the cache key of an `after:` step
            end = _closing(body, i + len(prefix))
            parts.append(evaluate_expression(body[i : end + 1], scope))
            i = end + 1
        else:
            end = body.find(" + ", i)
            end = len(body) if end < 0 else end
            ref = body[i:end]
            if m := _PARAM.match(ref):
                parts.append(scope["workflow"]["parameters"][m.group(1)])
            elif m := _TASK_OUT.match(ref):
                parts.append(scope["tasks"][m.group(1)][m.group(2)].strip())
            else:
                raise AssertionError(f"unexpected term {ref!r}")
            i = end
        if body.startswith(" + ", i):
            i += 3
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def _closing(body: str, i: int) -> int:
    """Index of the parenthesis closing the one opened just before `i` (quotes skipped)."""
    depth = 1
    while i < len(body):
        if body[i] == "'":
            _, i = _read_literal(body, i)
            continue
        if body[i] == "(":
            depth += 1
        elif body[i] == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise AssertionError(f"unbalanced expression {body!r}")


def substitute(text: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise AssertionError(f"unresolved {m.group(0)} in {text!r}")
        return values[m.group(1)]

    if text.startswith("{{=") and text.endswith("}}"):
        raise AssertionError("expressions are resolved by resolve_value")
    return _TAG.sub(one, text)


@dataclass
class Run:
    """What a local DAG run produced."""

    outputs: dict[str, dict[str, Path]] = field(default_factory=dict)  # task -> artifact -> dir
    parameters: dict[str, dict[str, str]] = field(default_factory=dict)  # task -> name -> value
    cache_keys: dict[str, str] = field(default_factory=dict)  # task -> memoize key
    commands: dict[str, list[str]] = field(default_factory=dict)  # task -> argv as run
    exit_codes: dict[str, int] = field(default_factory=dict)  # task -> exit code


def load_template(path: Path, name: str | None = None) -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    found = [d for d in docs if d["kind"] == "WorkflowTemplate"]
    if name:
        found = [d for d in found if d["metadata"]["name"] == name]
    assert len(found) == 1
    return found[0]


def _order(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    done: list[str] = []
    pending = list(tasks)
    while pending:
        for task in pending:
            needs = set(re.split(r"\s*&&\s*", task.get("depends") or "")) - {""}
            if needs <= set(done):
                done.append(task["name"])
                pending.remove(task)
                break
        else:
            raise AssertionError("DAG has a cycle or an unknown dependency")
    by_name = {t["name"]: t for t in tasks}
    return [by_name[n] for n in done]


def run_dag(
    wt: dict[str, Any],
    *,
    store: Path,
    cwd: Path,
    overrides: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    container_env: tuple[str, ...] = (),
) -> Run:
    """Run the DAG's tasks in order; `container_env` names the containers' literal `env`
    entries to apply (substituted like args), e.g. WORKBENCH_WORKFLOW={{workflow.name}}."""
    spec = wt["spec"]
    wf_params = {p["name"]: p["value"] for p in spec["arguments"]["parameters"]}
    wf_params.update(overrides or {})
    templates = {t["name"]: t for t in spec["templates"]}
    run = Run()
    # tasks: task name -> output parameter name -> value
    scope: dict[str, Any] = {"workflow": {"parameters": wf_params}, "tasks": run.parameters}
    tags = {f"workflow.parameters.{k}": v for k, v in wf_params.items()}
    tags |= {"workflow.uid": "local-uid", "workflow.name": "local"}
    for task in _order(templates[spec["entrypoint"]]["dag"]["tasks"]):
        args = task.get("arguments", {})
        params: dict[str, str] = {}
        for p in args.get("parameters", []):
            value = p["value"]
            if value.startswith("{{=") and value.endswith("}}"):
                params[p["name"]] = evaluate_expression(value[3:-2], scope)
            else:
                params[p["name"]] = substitute(value, tags)
        given: dict[str, Path] = {}
        for a in args.get("artifacts", []):
            m = re.fullmatch(r"{{tasks\.([^.]+)\.outputs\.artifacts\.([^}]+)}}", a["from"])
            assert m, a
            given[a["name"]] = run.outputs[m.group(1)][m.group(2)]
        tmpl = templates[task["template"]]
        _run_template(tmpl, task["name"], params, given, store, cwd, env, run, check, container_env,
                      tags)  # fmt: skip
        produced = run.parameters.get(task["name"], {})
        tags |= {f"tasks.{task['name']}.outputs.parameters.{k}": v for k, v in produced.items()}
    return run


def _run_template(
    tmpl: dict[str, Any],
    task: str,
    params: dict[str, str],
    given: dict[str, Path],
    store: Path,
    cwd: Path,
    env: dict[str, str] | None,
    run: Run,
    check: bool,
    container_env: tuple[str, ...] = (),
    workflow: dict[str, str] | None = None,
) -> None:
    declared = [p["name"] for p in tmpl.get("inputs", {}).get("parameters", [])]
    assert sorted(declared) == sorted(params), (task, declared, params)
    values = dict(workflow or {})  # {{workflow.parameters.X}} is global in Argo
    values |= {f"inputs.parameters.{k}": v for k, v in params.items()}
    values |= {"workflow.uid": "local-uid", "workflow.name": "local", "pod.name": "local-pod"}
    paths: dict[str, Path] = {}
    for a in tmpl.get("inputs", {}).get("artifacts", []):
        paths[a["path"]] = given[a["name"]]
    outputs: dict[str, Path] = {}
    for a in tmpl.get("outputs", {}).get("artifacts", []):
        local = store / substitute(a["s3"]["key"], values)
        paths[a["path"]] = local
        outputs[a["name"]] = local
    for p in tmpl.get("outputs", {}).get("parameters", []):  # a file of its own (not on /tmp)
        inside = p["valueFrom"]["path"]
        if _map_path(inside, paths) == inside:
            paths[inside] = store / "params" / task / p["name"]
            paths[inside].parent.mkdir(parents=True, exist_ok=True)
    if "memoize" in tmpl:
        run.cache_keys[task] = substitute(tmpl["memoize"]["key"], values)
    container = tmpl["container"]
    argv = [substitute(x, values) for x in container["command"] + container.get("args", [])]
    argv = [_map_path(x, paths) for x in argv]
    if argv[0] == "python":
        argv[0] = sys.executable
    if (
        "--" in argv and argv[argv.index("--") + 1] == "python"
    ):  # the step under the lineage wrapper
        argv[argv.index("--") + 1] = sys.executable
    elif argv[0] == "workbench":  # the console script of the image: the same CLI
        argv[:1] = [sys.executable, "-m", "workbench"]
    applied = {
        e["name"]: substitute(e["value"], values)
        for e in container.get("env", [])
        if e["name"] in container_env and "value" in e
    }
    proc = subprocess.run(
        argv, cwd=cwd, env={**os.environ, **(env or {}), **applied}, capture_output=True, text=True
    )
    run.exit_codes[task] = proc.returncode
    if check:
        assert proc.returncode == 0, f"{task}: {argv}\n{proc.stderr}"
    run.commands[task] = argv
    run.outputs[task] = outputs
    run.parameters[task] = {}
    for p in tmpl.get("outputs", {}).get("parameters", []):
        source = _map_path(p["valueFrom"]["path"], paths)
        run.parameters[task][p["name"]] = Path(source).read_text()


def _map_path(arg: str, paths: dict[str, Path]) -> str:
    """`NAME=/tmp/outputs/NAME` or `/tmp/outputs/NAME/sha256` -> the local folder's path."""
    for inside in sorted(paths, key=len, reverse=True):
        head, sep, tail = arg.partition(inside)
        if sep and (not tail or tail.startswith("/")) and (not head or head.endswith("=")):
            return f"{head}{paths[inside]}{tail}"
    return arg
