"""A hand-built pipeline package in the shape `workbench productionize` emits.

Pipeline `demo` (all stdlib, so a step process starts in well under a second):

    load(data_path) -> raw ─► clean -> rows ─┬─► stats -> total ─────────┐
                                             └─► scaled(scale) -> big ───┴─► report(threshold)

`stats` and `scaled` are independent branches. Every step appends its name to runs.log in the
project, the evidence of which processes really ran. Environment hooks for the tests (not part
of any cache key): DEMO_HOLD=path makes `stats` write a partial output (as a
write cut short would) and wait while that file exists, DEMO_RELEASE=path
makes `scaled` delete it.

Pipeline `tracked`: load -> fit, where `fit` logs a metric with mlflow into its step run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workbench.spec.model import ParamSpec, PipelineSpec, StepSpec

HELPERS = '''\
"""Helpers shared by the demo steps."""


def _round(value: float) -> float:
    return round(value, 3)


def normalise(text: str) -> int:
    return int(text.strip())


def summarise(rows: list) -> float:
    return _round(sum(rows) / 3)


def multiply(value: int, factor: float) -> float:
    return value * factor
'''

STEP = '''\
"""Generated from notebooks/demo.ipynb by workbench productionize; do not edit."""

from __future__ import annotations

import os
import sys
import time
from typing import NamedTuple

from workbench.runtime import run_step
{imports}

class Outputs(NamedTuple):
{fields}


def {name}({signature}) -> Outputs:
    with open("runs.log", "a") as fh:
        fh.write("{name}\\n")
    # %% cell
{body}
    return Outputs({returns})


if __name__ == "__main__":
    raise SystemExit(
        run_step({name}, inputs={inputs!r}, outputs={outputs!r}, params={params!r})
    )
'''

# name -> (imports, inputs, params {name: type}, outputs, body, helpers)
STEPS: dict[
    str, tuple[str, tuple[str, ...], dict[str, str], tuple[str, ...], str, tuple[str, ...]]
] = {
    "load": (
        "",
        (),
        {"data_path": "str"},
        ("raw",),
        """
        with open(data_path, encoding="utf-8") as fh:
            raw = [line for line in fh.read().splitlines() if line.strip()]
        """,
        (),
    ),
    "clean": (
        "from steps.demo._helpers import normalise",
        ("raw",),
        {},
        ("rows",),
        "rows = [normalise(text) for text in raw]",
        ("normalise",),
    ),
    "stats": (
        "from steps.demo._helpers import summarise",
        ("rows",),
        {},
        ("total",),
        """
        hold = os.environ.get("DEMO_HOLD")
        if hold:
            # what a write cut short leaves behind: a partial data file and its meta
            out = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("total="))
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, "data.json"), "w") as fh:
                fh.write("4")
            with open(os.path.join(out, "meta.json"), "w") as fh:
                fh.write('{"format": "json", "sha256": "' + "4" * 64 + '", "type": "float"}')
            with open("stats.pid", "w") as fh:
                fh.write(str(os.getpid()))
            deadline = time.monotonic() + 20
            while os.path.exists(hold):
                if time.monotonic() > deadline:
                    raise SystemExit("stats: held for 20 s")
                time.sleep(0.02)
        total = summarise(rows)
        """,
        ("summarise",),
    ),
    "scaled": (
        "from steps.demo._helpers import multiply",
        ("rows",),
        {"scale": "float"},
        ("big",),
        """
        release = os.environ.get("DEMO_RELEASE")
        if release and os.path.exists(release):
            os.remove(release)
        if scale < 0:
            print("scaled: refusing a negative scale")
            raise ValueError(f"scale must be >= 0, got {scale}")
        big = [multiply(r, scale) for r in rows]
        """,
        ("multiply",),
    ),
    "report": (
        "",
        ("big", "total"),
        {"threshold": "int"},
        ("summary",),
        'summary = {"total": total, "above": sum(1 for b in big if b > threshold)}',
        (),
    ),
    "fit": (
        "import mlflow",
        ("raw",),
        {"C": "float"},
        ("score",),
        """
        if C < 0:
            raise ValueError("C must be positive")
        score = len(raw) * C
        mlflow.log_metric("score", score)
        """,
        (),
    ),
}

SOURCES = {"raw": "load", "rows": "clean", "total": "stats", "big": "scaled", "summary": "report"}


def step_module(name: str, pipeline: str) -> str:
    imports, inputs, params, outputs, body, _ = STEPS[name]
    args = [*inputs, *(f"{p}: {'str' if t == 'str' else t}" for p, t in params.items())]
    return STEP.format(
        name=name,
        imports=imports.replace("steps.demo.", f"steps.{pipeline}.") + "\n" if imports else "",
        fields="\n".join(f"    {o}: object" for o in outputs),
        signature=", ".join(args),
        body=textwrap.indent(textwrap.dedent(body).strip(), "    "),
        returns=", ".join(f"{o}={o}" for o in outputs),
        inputs=inputs,
        outputs=outputs,
        params=params,
    )


def write_pipeline(
    root: Path, name: str, steps: tuple[str, ...], parameters: tuple[ParamSpec, ...]
) -> PipelineSpec:
    folder = root / "steps" / name
    folder.mkdir(parents=True, exist_ok=True)
    (root / "steps" / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    (folder / "_helpers.py").write_text(HELPERS)
    (folder / "requirements.txt").write_text("workbench\n")
    specs: list[StepSpec] = []
    for step in steps:
        _, inputs, params, outputs, _, helpers = STEPS[step]
        sources = {i: SOURCES[i] for i in inputs}
        upstream: set[str] = set()
        for source in sources.values():
            upstream |= {source, *next(s.depends_on for s in specs if s.name == source)}
        (folder / f"{step}.py").write_text(step_module(step, name))
        specs.append(
            StepSpec(
                name=step,
                module=f"steps.{name}.{step}",
                cells=(),
                inputs=tuple(sorted(inputs)),
                input_sources=sources,
                outputs=outputs,
                params=tuple(sorted(params)),
                depends_on=tuple(sorted(upstream)),
                helpers=helpers,
            )
        )
    spec = PipelineSpec(
        name=name,
        notebook=f"notebooks/{name}.ipynb",
        parameters=parameters,
        steps=tuple(specs),
        helpers_module=f"steps.{name}._helpers",
    )
    (folder / "pipeline.json").write_text(spec.to_json())
    return spec


DEMO_PARAMS = (
    ParamSpec("data_path", "str", "data/numbers.txt"),
    ParamSpec("scale", "float", 2.0),
    ParamSpec("threshold", "int", 5),
)


@pytest.fixture
def demo(project: Path) -> PipelineSpec:
    """The `demo` pipeline in the isolated project, with its data file."""
    (project / "data").mkdir()
    (project / "data" / "numbers.txt").write_text("1\n2\n3\n4\n5\n")
    return write_pipeline(
        project, "demo", ("load", "clean", "stats", "scaled", "report"), DEMO_PARAMS
    )


@pytest.fixture
def tracked(project: Path) -> PipelineSpec:
    (project / "data").mkdir(exist_ok=True)
    (project / "data" / "numbers.txt").write_text("1\n2\n3\n")
    return write_pipeline(
        project,
        "tracked",
        ("load", "fit"),
        (ParamSpec("data_path", "str", "data/numbers.txt"), ParamSpec("C", "float", 0.5)),
    )


def ran(project: Path) -> list[str]:
    """Step names in the order their processes ran, then forget them."""
    log = project / "runs.log"
    if not log.exists():
        return []
    names = log.read_text().split()
    log.unlink()
    return names
