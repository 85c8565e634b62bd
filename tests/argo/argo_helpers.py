"""Helpers of the Argo tests: a hand-built pipeline spec (no compiler needed), file writing,
the shared validator and checkov."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from workbench.spec.model import CellSpec, ParamSpec, PipelineSpec, StepSpec

REPO = Path(__file__).resolve().parents[2]


def tiny_spec(name: str = "tiny") -> PipelineSpec:
    """Four steps, two parallel branches, a parameter of every type (str "007" included);
    `load` reads a data file named by a parameter, so it is the one step Argo does not memoize."""
    cell = (CellSpec(index=0, id="c", source="pass"),)
    params = (
        ParamSpec("flag", "bool", True),
        ParamSpec("n", "int", 5),
        ParamSpec("scale", "float", 1.5),
        ParamSpec("prefix", "str", "007"),
        ParamSpec("cols", "list", ["a", "b"]),
        ParamSpec("opts", "dict", {"k": 1, "quote": "it's"}),
        ParamSpec("nothing", "none", None),
        ParamSpec("data_path", "str", "data/tiny.csv"),
    )
    steps = (
        StepSpec(
            name="load",
            module=f"steps.{name}.load",
            cells=cell,
            outputs=("raw",),
            params=("data_path", "n", "prefix"),
            code_digest="a" * 64,
        ),
        StepSpec(
            name="left_branch",
            module=f"steps.{name}.left_branch",
            cells=cell,
            inputs=("raw",),
            input_sources={"raw": "load"},
            outputs=("left",),
            params=("flag", "scale"),
            depends_on=("load",),
            code_digest="b" * 64,
        ),
        StepSpec(
            name="right",
            module=f"steps.{name}.right",
            cells=cell,
            inputs=("raw",),
            input_sources={"raw": "load"},
            outputs=("right",),
            params=("cols", "nothing", "opts"),
            depends_on=("load",),
            code_digest="c" * 64,
        ),
        StepSpec(
            name="join",
            module=f"steps.{name}.join",
            cells=cell,
            inputs=("left", "right"),
            input_sources={"left": "left_branch", "right": "right"},
            outputs=("total",),
            depends_on=("left_branch", "load", "right"),
            code_digest="d" * 64,
        ),
    )
    edges = (("left_branch", "join"), ("load", "left_branch"), ("load", "right"), ("right", "join"))
    return PipelineSpec(
        name=name,
        notebook=f"notebooks/{name}.ipynb",
        parameters=params,
        steps=steps,
        edges=edges,
        lock_digest="e" * 64,
    )


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def shared_tool(name: str) -> Path:
    """A file under the shared folder (`../shared` from the repo, or $WORKBENCH_SHARED)."""
    candidates = [Path(os.environ["WORKBENCH_SHARED"])] if "WORKBENCH_SHARED" in os.environ else []
    candidates += [REPO.parent / "shared", REPO.parents[1] / "shared"]
    for folder in candidates:
        if (folder / name).is_file():
            return folder / name
    raise AssertionError(f"{name} not found under {', '.join(map(str, candidates))}")


def checkov_binary() -> str:
    """checkov lives in its own venv (it pins many packages): .venv-tools, as `make` builds it."""
    candidates = [os.environ.get("CHECKOV", ""), str(REPO / ".venv-tools/bin/checkov")]
    candidates.append(shutil.which("checkov") or "")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise AssertionError("checkov not installed: run `make tools` (builds .venv-tools)")
