"""Pipeline spec dataclasses and their JSON form.

Conventions every producer and consumer relies on:
- `steps` are in a topological order that follows notebook order where the DAG allows;
- every tuple of names is sorted, except `cells` (notebook order);
- `StepSpec.module` is the module the container runs: `python -m <module> --input NAME=URI ...
  --output NAME=URI ... --param NAME=VALUE ...` (see workbench.runtime.step);
- `code_digest` hashes the step module and the helper code it uses, `lock_digest` hashes
  requirements.txt: with the inputs' digests and the parameter texts they make the cache key
  (workbench.core.hashing.cache_key), the same locally and in Argo.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.spec.params import PARAM_TYPES, param_type

SPEC_VERSION = 1


@dataclass(frozen=True)
class ParamSpec:
    """A pipeline parameter from the `parameters` cell: name, type from its default, default.

    `text` is the default's canonical text (`workbench.spec.params`), filled in here. JSON cannot
    hold tuples, non-string keys or dict order, so `from_json` rebuilds the default from `text`;
    the JSON `default` is there for people reading pipeline.json.
    """

    name: str
    type: str
    default: Any
    cell: int = 0
    text: str = ""

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name}: unknown type {self.type!r}")
        kind = param_type(self.type)
        if self.text:
            object.__setattr__(self, "default", kind.parse(self.text))
        object.__setattr__(self, "text", kind.text(self.default))


@dataclass(frozen=True)
class CellSpec:
    """A notebook cell that contributes code to a step (index in the notebook, nbformat id)."""

    index: int
    id: str
    source: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class WrittenModule:
    """A module the notebook writes itself with `%%writefile PATH` (PATH relative to the
    notebook's folder) and a step imports: shipped as steps/NAME/_modules/PATH, since where the
    notebook never ran (the image, a clean checkout) no cell has written it. `cells` are the
    writing cells in notebook order (`-a` appends), `source` the resulting file text."""

    path: str
    cells: tuple[int, ...]
    source: str


@dataclass(frozen=True)
class StepSpec:
    name: str
    module: str
    cells: tuple[CellSpec, ...]
    inputs: tuple[str, ...] = ()
    # input name -> the step that produces it (the latest earlier producer in notebook order)
    input_sources: dict[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    # every upstream step, from data edges and `after:` edges
    depends_on: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    code_digest: str = ""
    # outputs that are fitted models (estimators): compared by their predictions in tests
    models: tuple[str, ...] = ()
    # statements run before the step's cells: library state earlier cells set (replayed, since
    # each step runs in its own process) and containers rebuilt from their element inputs
    prelude: tuple[str, ...] = ()


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    notebook: str
    parameters: tuple[ParamSpec, ...]
    steps: tuple[StepSpec, ...]
    edges: tuple[tuple[str, str], ...] = ()
    helpers_module: str = ""
    # the `functions` cells (emitted as steps/NAME/_helpers.py) and the imports their code uses
    helper_cells: tuple[CellSpec, ...] = ()
    helper_imports: tuple[str, ...] = ()
    python: str = ""
    packages: dict[str, str] = field(default_factory=dict)
    lock_digest: str = ""
    # modules next to the notebook that steps import (project-relative paths): copied into the
    # image beside the notebook, importable because steps run in the notebook's folder
    local_modules: tuple[str, ...] = ()
    # modules the notebook's own `%%writefile` cells write and steps import (steps/NAME/_modules)
    written_modules: tuple[WrittenModule, ...] = ()
    version: int = SPEC_VERSION
    # the last `productionize --verify` verdict (workbench.verify.verdict): notebook digest,
    # parameters, per-step result, runtime outputs; carried over by later compiles
    verification: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str) -> StepSpec:
        for step in self.steps:
            if step.name == name:
                return step
        known = ", ".join(s.name for s in self.steps)
        raise WorkbenchError(f"pipeline {self.name}: no step {name!r} (steps: {known})")

    def parameter(self, name: str) -> ParamSpec:
        for param in self.parameters:
            if param.name == name:
                return param
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise WorkbenchError(f"pipeline {self.name}: no parameter {name!r} (parameters: {known})")

    def downstream(self, name: str) -> tuple[str, ...]:
        """`name` and every step that depends on it, in pipeline order."""
        hit = {name}
        for step in self.steps:
            if hit.intersection(step.depends_on):
                hit.add(step.name)
        return tuple(s.name for s in self.steps if s.name in hit)

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
        raw = asdict(self)
        for param in raw["parameters"]:
            param["default"] = _json_view(param["default"])
        if not raw["written_modules"]:  # the common case: pipeline.json as before
            del raw["written_modules"]
        return json.dumps(raw, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> PipelineSpec:
        raw = json.loads(text)
        if raw.get("version") != SPEC_VERSION:
            raise WorkbenchError(
                f"pipeline spec version {raw.get('version')!r} is not {SPEC_VERSION}; "
                "re-run `workbench productionize`"
            )
        steps = tuple(
            StepSpec(
                **{
                    **s,
                    "cells": tuple(
                        CellSpec(**{**c, "tags": tuple(c.get("tags", ()))}) for c in s["cells"]
                    ),
                    **{
                        k: tuple(s.get(k, ()))
                        for k in (
                            "inputs",
                            "outputs",
                            "params",
                            "after",
                            "depends_on",
                            "imports",
                            "helpers",
                            "models",
                            "prelude",
                        )
                    },
                }
            )
            for s in raw["steps"]
        )
        return cls(
            name=raw["name"],
            notebook=raw["notebook"],
            parameters=tuple(ParamSpec(**p) for p in raw["parameters"]),
            steps=steps,
            edges=tuple((a, b) for a, b in raw.get("edges", ())),
            helpers_module=raw.get("helpers_module", ""),
            helper_cells=tuple(
                CellSpec(**{**c, "tags": tuple(c.get("tags", ()))})
                for c in raw.get("helper_cells", ())
            ),
            helper_imports=tuple(raw.get("helper_imports", ())),
            python=raw.get("python", ""),
            packages=dict(raw.get("packages", {})),
            lock_digest=raw.get("lock_digest", ""),
            local_modules=tuple(raw.get("local_modules", ())),
            written_modules=tuple(
                WrittenModule(m["path"], tuple(m["cells"]), m["source"])
                for m in raw.get("written_modules", ())
            ),
            version=raw["version"],
            verification=dict(raw.get("verification", {})),
        )


def _json_view(value: Any) -> Any:
    """A default as people read it in pipeline.json (dict keys as strings); `text` is exact."""
    if isinstance(value, dict):
        return {str(k): _json_view(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_view(v) for v in value]
    return value


def load_spec(path: str | Path) -> PipelineSpec:
    """Read `steps/NAME/pipeline.json`, with an error naming the file when it is bad."""
    path = Path(path)
    try:
        return PipelineSpec.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise WorkbenchError(
            f"{path}: no pipeline spec; run `workbench productionize NOTEBOOK` first"
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise WorkbenchError(f"{path}: not a valid pipeline spec: {exc}") from exc
