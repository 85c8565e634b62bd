"""Shared test machinery: build a project with a notebook, compile it, run the generated steps
(in-process or through their `python -m` command) and compare with the notebook's own values."""

from __future__ import annotations

import ast
import copy
import importlib
import io
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench.cli.productionize import productionize
from workbench.compiler import CompileError
from workbench.compiler.names import scan_block
from workbench.compiler.record import read_fixture, record_notebook
from workbench.spec.model import PipelineSpec, load_spec

from . import notebooks

REPO = Path(__file__).resolve().parents[2]


def make_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    return root


def assert_same(name: str, actual: Any, expected: Any) -> None:
    """Exact equality for deterministic values (frames, arrays, floats, containers)."""
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected, check_exact=True, obj=name)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(actual, expected, check_exact=True, obj=name)
    elif isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype, name
        np.testing.assert_array_equal(actual, expected, err_msg=name)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), name
    elif isinstance(expected, np.random.Generator):  # equal when their states are
        assert actual.bit_generator.state == expected.bit_generator.state, name
    elif isinstance(expected, dict) and isinstance(actual, dict):
        assert set(actual) == set(expected), name  # key order: the artifact codecs' job
        for key in expected:
            assert_same(f"{name}[{key!r}]", actual[key], expected[key])
    elif hasattr(expected, "get_params") and type(actual).__name__ == type(expected).__name__:
        for key, value in vars(expected).items():  # an estimator: parameters, fitted state
            assert_same(f"{name}.{key}", getattr(actual, key), value)
    else:
        assert _same(actual, expected), (name, actual, expected)


def _same(actual: Any, expected: Any) -> bool:
    """==, except that objects of a class defined in the notebook (a different class object
    once recorded or defined inside a step function) compare by class name and attributes."""
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        return (
            type(actual) is type(expected)
            and len(actual) == len(expected)
            and all(map(_same, actual, expected))
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return set(actual) == set(expected) and all(_same(actual[k], expected[k]) for k in expected)
    if isinstance(expected, np.ndarray):
        return (
            isinstance(actual, np.ndarray)
            and actual.dtype == expected.dtype
            and np.array_equal(actual, expected)
        )
    if hasattr(expected, "get_params") and type(actual).__name__ == type(expected).__name__:
        # estimators: equal when their parameters and fitted attributes are
        return _same(vars(actual), vars(expected))
    if (
        hasattr(expected, "__dict__")
        and type(actual) is not type(expected)
        and type(actual).__name__ == type(expected).__name__
    ):
        return _same(vars(actual), vars(expected))
    try:
        if bool(actual == expected):
            return True
    except ValueError:  # arrays inside other objects
        pass
    if isinstance(expected, io.StringIO) and isinstance(actual, io.StringIO):
        return actual.getvalue() == expected.getvalue()
    if type(actual) is type(expected) and hasattr(expected, "__dict__") and vars(expected):
        return _same(vars(actual), vars(expected))
    if type(actual) is type(expected) and not isinstance(expected, int | float | str | bytes):
        # objects without a value equality (a fitted tree's `tree_`): equal pickled state
        try:
            return _same(actual.__reduce__()[1:], expected.__reduce__()[1:])
        except (TypeError, RecursionError):
            return False
    return False


def forget_steps() -> None:
    """Drop imported `steps` packages: each test project has its own."""
    for key in [k for k in sys.modules if k == "steps" or k.startswith("steps.")]:
        del sys.modules[key]


def load_step(project: Path, module: str) -> Any:
    """Import a generated step module of `project` (purging other projects' `steps`)."""
    forget_steps()
    sys.path.insert(0, str(project))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(project))


def run_in_process(project: Path, spec: PipelineSpec) -> dict[tuple[str, str], Any]:
    """Every step's inputs and outputs, calling the step functions in pipeline order.

    Inputs are deep-copied, as if read from their artifacts, so a step changing an input in
    place cannot leak into another step (it would not in separate processes either).
    """
    values: dict[tuple[str, str], Any] = {}
    cwd = os.getcwd()
    os.chdir(project)
    try:
        for step in spec.steps:
            module = load_step(project, step.module)
            func = getattr(module, step.name)
            args = [copy.deepcopy(values[(step.input_sources[n], n)]) for n in step.inputs]
            for name, value in zip(step.inputs, args, strict=True):
                values[(f"{step.name}<", name)] = copy.deepcopy(value)
            result = func(*args)
            for name in step.outputs:
                values[(step.name, name)] = getattr(result, name)
    finally:
        os.chdir(cwd)
        forget_steps()  # later tests import the project's own `steps`
    return values


def run_commands(project: Path, spec: PipelineSpec, store: Path) -> dict[tuple[str, str], Any]:
    """Every step's outputs, running `python -m steps.NAME.STEP` with artifact folders."""
    from workbench.runtime import read_value

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), str(REPO)])}
    values: dict[tuple[str, str], Any] = {}
    for step in spec.steps:
        command = [sys.executable, "-m", step.module]
        for name in step.inputs:
            command += ["--input", f"{name}={store / step.input_sources[name] / name}"]
        for name in step.outputs:
            command += ["--output", f"{name}={store / step.name / name}"]
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        sys.path.insert(0, str(project))  # values of classes in steps.NAME._helpers
        try:
            for name in step.outputs:
                values[(step.name, name)] = read_value(str(store / step.name / name))
        finally:
            sys.path.remove(str(project))
            forget_steps()
    return values


def recorded(fixtures: Path, step: str, kind: str, name: str) -> Any:
    return read_fixture(str(fixtures / step / kind / name))


def compare_with_notebook(
    spec: PipelineSpec, values: dict[tuple[str, str], Any], fixtures: Path
) -> int:
    """Each step's inputs and outputs equal the notebook's at the same point; returns count."""
    checked = 0
    for step in spec.steps:
        for name in step.outputs:
            expected = recorded(fixtures, step.name, "outputs", name)
            assert_same(f"{step.name}.{name}", values[(step.name, name)], expected)
            checked += 1
        for name in step.inputs:
            if (f"{step.name}<", name) in values:
                expected = recorded(fixtures, step.name, "inputs", name)
                assert_same(f"{step.name}<{name}", values[(f"{step.name}<", name)], expected)
                checked += 1
    return checked


def compare_final(spec: PipelineSpec, values: dict[tuple[str, str], Any], final: Path) -> int:
    """The value of each output name at the end of the notebook is its last producer's."""
    last: dict[str, str] = {}
    for step in sorted(spec.steps, key=lambda s: s.cells[0].index):
        for name in step.outputs:
            last[name] = step.name
        changed = scan_block([(c.index, ast.parse(c.source)) for c in step.cells]).mutations
        for name in step.inputs:
            # changed by a later step that does not pass it on (nothing reads it afterwards):
            # the notebook's final value is that step's, which no artifact holds
            if name in changed and name not in step.outputs:
                last.pop(name, None)
    for name, step in last.items():
        assert_same(
            f"final {name}", values[(step, name)], recorded(final, "final", "outputs", name)
        )
    return len(last)


def spec_of(project: Path, name: str) -> PipelineSpec:
    return load_spec(project / "steps" / name / "pipeline.json")


def chained(
    tmp_path: Path, name: str, cells: list[notebooks.Cell], files: dict[str, str] | None = None
) -> dict[tuple[str, str], object]:
    """Compile, record the notebook, run the steps chained; every value must be the notebook's."""
    project = make_project(tmp_path / "proj")
    for rel, text in (files or {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    path = notebooks.write(notebooks.build(cells), project / "notebooks" / f"{name}.ipynb")
    assert productionize(path, root=project).exit_code == 0
    spec = spec_of(project, name)
    fixtures, final = tmp_path / "fixtures", tmp_path / "final"
    record_notebook(path, spec, fixtures, final=final, root=project)
    values = run_commands(project, spec, tmp_path / "artifacts")
    assert compare_with_notebook(spec, values, fixtures) >= 1
    compare_final(spec, values, final)
    return values


def refused(tmp_path: Path, name: str, cells: list[notebooks.Cell]) -> str:
    """productionize exits 2; returns the message (which the caller checks names the cell)."""
    project = make_project(tmp_path / "proj")
    path = notebooks.write(notebooks.build(cells), project / "notebooks" / f"{name}.ipynb")
    with pytest.raises(CompileError) as caught:
        productionize(path, root=project)
    assert caught.value.exit_code == 2
    assert not (project / "steps").exists()
    return str(caught.value)
