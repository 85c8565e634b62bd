"""Every awkward value through a real step process: written as an input artifact, read by the
step's `python -m` entry point, handed back as an output, written by that process, read here:
the value is exactly the one that went in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from awkward import values
from test_codecs import assert_identical

from workbench.runtime.artifacts import read_meta, read_value, write_value

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

STEP = """
from typing import Any, NamedTuple

from workbench.runtime.step import main_guard, run_step

NAMES = {names!r}
Out = NamedTuple("Out", [("out_" + n, Any) for n in NAMES])


def echo(*args: Any) -> Any:
    return Out(*args)


if __name__ == "__main__":
    main_guard(run_step(echo, inputs=NAMES, outputs=["out_" + n for n in NAMES], params={{}}))
"""


def test_awkward_values_survive_a_step_process(tmp_path: Path) -> None:
    awkward = values()
    names = sorted(awkward)
    (tmp_path / "echo_step.py").write_text(STEP.format(names=names))
    argv = [sys.executable, "-m", "echo_step"]
    for name in names:
        write_value(awkward[name][0], str(tmp_path / "in" / name))
        argv += ["--input", f"{name}={tmp_path / 'in' / name}"]
        argv += ["--output", f"out_{name}={tmp_path / 'out' / name}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(HERE), str(REPO)])}
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in names:
        uri = str(tmp_path / "out" / name)
        assert read_meta(uri)["format"] == read_meta(str(tmp_path / "in" / name))["format"], name
        assert_identical(read_value(uri), awkward[name][0])
