"""A DAG template's tasks in the order Argo may run them, fan-outs expanded: `withParam` (a JSON
list of objects, `{{item.KEY}}`) and `withSequence` with a `count` (`{{item}}` = 0 .. count-1).

Only the `depends` forms workbench emits are read: `a && b` and `T.AnySucceeded`; any other
operator is refused by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import WorkbenchError

_DEP = re.compile(r"^([a-z0-9-]+)(\.(AnySucceeded|Succeeded))?$")


@dataclass(frozen=True)
class TaskRun:
    """One pod to start: the task, its template and (for a fan-out) its item."""

    task: str
    name: str  # task name, `trial(0:…)` style for fan-out items
    template: str
    arguments: Mapping[str, Any]
    item: Mapping[str, str] | None = None
    depends: tuple[str, ...] = field(default_factory=tuple)
    value: str | None = None  # a withSequence item: `{{item}}` itself

    def scope(self) -> dict[str, str]:
        """The `item` tags this pod's templates may use."""
        found = {f"item.{k}": v for k, v in (self.item or {}).items()}
        if self.value is not None:
            found["item"] = self.value
        return found


def depends_on(task: Mapping[str, Any]) -> tuple[str, ...]:
    text = str(task.get("depends") or "").strip()
    if not text:
        return ()
    found = []
    for part in text.split("&&"):
        match = _DEP.match(part.strip())
        if not match:
            raise WorkbenchError(
                f"task {task['name']}: depends {text!r} uses a form the rehearsal does not model"
            )
        found.append(match.group(1))
    return tuple(found)


def order(tasks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Tasks sorted so each comes after what it depends on (ties by name, deterministic)."""
    by_name = {t["name"]: t for t in tasks}
    done: list[str] = []
    pending = sorted(by_name)
    while pending:
        ready = [n for n in pending if all(d in done for d in depends_on(by_name[n]))]
        if not ready:
            raise WorkbenchError(f"DAG cycle or unknown dependency among {pending}")
        done.append(ready[0])
        pending.remove(ready[0])
    return [by_name[n] for n in done]


def sequence(task: Mapping[str, Any], count: str) -> list[TaskRun]:
    """`withSequence: {count: N}`: N pods, `{{item}}` = "0" .. "N-1", as Argo numbers them."""
    try:
        n = int(count)
    except ValueError:
        raise WorkbenchError(
            f"task {task['name']}: withSequence count {count!r} is not an integer"
        ) from None
    if n < 0:
        raise WorkbenchError(f"task {task['name']}: withSequence count {n} is negative")
    return [
        TaskRun(task["name"], f"{task['name']}({i})", task["template"],
                task.get("arguments", {}), None, depends_on(task), str(i))
        for i in range(n)
    ]  # fmt: skip


def expand(task: Mapping[str, Any], with_param: str | None) -> list[TaskRun]:
    arguments = task.get("arguments", {})
    deps = depends_on(task)
    if with_param is None:
        return [TaskRun(task["name"], task["name"], task["template"], arguments, None, deps)]
    try:
        items = json.loads(with_param)
    except json.JSONDecodeError as exc:
        raise WorkbenchError(f"task {task['name']}: withParam is not JSON: {exc}") from exc
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise WorkbenchError(f"task {task['name']}: withParam must be a JSON list of objects")
    return [
        TaskRun(
            task["name"],
            f"{task['name']}({i}:{json.dumps(item, sort_keys=True)[:40]})",
            task["template"],
            arguments,
            {k: str(v) for k, v in item.items()},
            deps,
        )
        for i, item in enumerate(items)
    ]
