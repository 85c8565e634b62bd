"""A hand-built pipeline package (what productionize would generate) for the tiny spec."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.spec.digest import lock_digest, step_code_digest
from workbench.spec.model import PipelineSpec

# step name -> (module source); each is a typed function called through run_step
MODULES = {
    "load": """
import sys
from types import SimpleNamespace

import pandas as pd

from workbench.runtime import run_step


def load(data_path: str, n: int, prefix: str) -> SimpleNamespace:
    base = pd.read_csv(data_path).head(n)
    raw = pd.DataFrame({"id": [f"{prefix}-{i}" for i in range(len(base))], "x": base["x"].astype(float)})
    return SimpleNamespace(raw=raw)


if __name__ == "__main__":
    sys.exit(run_step(load, inputs=[], outputs=["raw"], params={"data_path": "str", "n": "int", "prefix": "str"}))
""",
    "left_branch": """
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd

from workbench.runtime import run_step


def left_branch(raw: pd.DataFrame, flag: bool, scale: float) -> SimpleNamespace:
    values = raw["x"].to_numpy() * (scale if flag else 1.0)
    return SimpleNamespace(left=np.asarray(values, dtype=float))


if __name__ == "__main__":
    sys.exit(run_step(left_branch, inputs=["raw"], outputs=["left"], params={"flag": "bool", "scale": "float"}))
""",
    "right": """
import sys
from types import SimpleNamespace

import pandas as pd

from workbench.runtime import run_step


def right(raw: pd.DataFrame, cols: list, nothing: None, opts: dict) -> SimpleNamespace:
    ids = list(raw["id"])
    return SimpleNamespace(right={"cols": cols, "nothing": nothing, "opts": opts, "ids": ids})


if __name__ == "__main__":
    sys.exit(run_step(right, inputs=["raw"], outputs=["right"], params={"cols": "list", "nothing": "none", "opts": "dict"}))
""",
    "join": """
import sys
from types import SimpleNamespace

from workbench.runtime import run_step


def join(left, right: dict) -> SimpleNamespace:
    return SimpleNamespace(total={"left_sum": float(left.sum()), **right})


if __name__ == "__main__":
    sys.exit(run_step(join, inputs=["left", "right"], outputs=["total"], params={}))
""",
}


REQUIREMENTS = "pandas\nnumpy\npyarrow\n"


def consistent_spec(spec: PipelineSpec) -> PipelineSpec:
    """The spec with the digests of these module texts, as the compiler records them (and as the
    local runner recomputes them from disk)."""
    steps = tuple(
        replace(s, code_digest=step_code_digest(MODULES[s.name].lstrip(), "", s.helpers))
        for s in spec.steps
    )
    return replace(spec, steps=steps, lock_digest=lock_digest(REQUIREMENTS))


def write_project(root: Path, pipeline: str = "tiny") -> None:
    package = root / "steps" / pipeline
    package.mkdir(parents=True)
    (root / "steps" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    for name, source in MODULES.items():
        (package / f"{name}.py").write_text(source.lstrip())
    (package / "requirements.txt").write_text(REQUIREMENTS)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    (root / "data").mkdir()
    rows = "\n".join(f"{i},{i * i}" for i in range(10))
    (root / "data" / "tiny.csv").write_text(f"id,x\n{rows}\n")


def load_function(root: Path, pipeline: str, step: str) -> Any:
    """The step's function, imported from its file (no package import, no sys.modules clash)."""
    path = root / "steps" / pipeline / f"{step}.py"
    spec = importlib.util.spec_from_file_location(f"_direct_{pipeline}_{step}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, step)


def run_directly(root: Path, pipeline: str, params: dict[str, Any]) -> dict[str, Any]:
    """The step functions called in-process, in DAG order: the values to expect."""

    def fn(step: str) -> Any:
        return load_function(root, pipeline, step)

    raw = fn("load")(str(root / params["data_path"]), params["n"], params["prefix"]).raw
    left = fn("left_branch")(raw, flag=params["flag"], scale=params["scale"]).left
    right = fn("right")(raw, cols=params["cols"], nothing=params["nothing"], opts=params["opts"])
    total = fn("join")(left, right.right).total
    return {"raw": raw, "left": left, "right": right.right, "total": total}
