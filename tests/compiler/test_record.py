"""The fixture writer --record injects: large outputs are sampled, inputs kept whole,
notebook-defined classes stored by value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.compiler.record import MARKER, MAX_ROWS, PRELUDE, read_fixture


def _writer(folder: Path) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(PRELUDE.format(folder=str(folder), max_rows=MAX_ROWS, marker=MARKER), namespace)
    return namespace


def test_large_outputs_are_sampled_and_inputs_kept(tmp_path: Path) -> None:
    save = _writer(tmp_path)["__wb_save"]
    frame = pd.DataFrame({"a": np.arange(5 * MAX_ROWS, dtype=float)})
    save("s", "inputs", {"frame": frame})  # type: ignore[operator]
    save("s", "outputs", {"frame": frame, "small": np.arange(10)})  # type: ignore[operator]
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    assert meta["inputs"] == ["frame"] and meta["outputs"] == ["frame", "small"]
    stride = meta["strides"]["frame"]
    assert stride > 1 and "small" not in meta["strides"]
    stored = read_fixture(str(tmp_path / "s" / "outputs" / "frame"))
    pd.testing.assert_frame_equal(stored, frame.iloc[::stride])
    assert len(stored) <= MAX_ROWS
    pd.testing.assert_frame_equal(read_fixture(str(tmp_path / "s" / "inputs" / "frame")), frame)


def test_notebook_classes_are_stored_by_value(tmp_path: Path) -> None:
    namespace = _writer(tmp_path)
    exec("class Point:\n    def __init__(self, x):\n        self.x = x\n", namespace)
    point = eval("Point(3)", namespace)
    namespace["__wb_save"]("s", "outputs", {"p": point})  # type: ignore[operator]
    loaded = read_fixture(str(tmp_path / "s" / "outputs" / "p"))
    assert type(loaded).__name__ == "Point" and loaded.x == 3  # type: ignore[attr-defined]


def test_data_files_named_by_step_parameters_are_copied_whole(tmp_path: Path) -> None:
    from workbench.compiler.record import copy_data_files
    from workbench.spec.model import ParamSpec, PipelineSpec, StepSpec

    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    payload = bytes(range(256)) * 100  # not sampled: the step must read exactly this
    (root / "data" / "in.csv.gz").write_bytes(payload)
    spec = PipelineSpec(
        name="p",
        notebook="p.ipynb",
        parameters=(
            ParamSpec("data_path", "str", "data/in.csv.gz"),
            ParamSpec("missing", "str", "data/nothing.csv"),
            ParamSpec("n", "int", 3),
        ),
        steps=(
            StepSpec("load", "steps.p.load", (), params=("data_path", "missing", "n")),
            StepSpec("other", "steps.p.other", (), params=("n",)),
        ),
    )
    copied = copy_data_files(root, spec, tmp_path / "fixtures")
    assert copied == {"load": {"data_path": "files/data_path.csv.gz"}, "other": {}}
    assert (tmp_path / "fixtures" / "load" / "files" / "data_path.csv.gz").read_bytes() == payload
    assert not (tmp_path / "fixtures" / "other").exists()
