"""What the generated step tests (tests/steps/NAME/) import: recorded values, throw-away stores,
and the comparison of a step's outputs with the notebook's.

Kept here, importable and tested once, instead of a copy in every pipeline's conftest.py: the
generated conftest only names its fixtures folder and the command that records them.
Comparison is `workbench.runtime.compare` (the artifact codecs' and verification's) with float
tolerances, plus two rules for values that are equal in meaning but not in bytes: fitted models
compare by their predictions on the recorded frames and arrays, and MLflow run ids (new on every
run) by their form.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.runtime.compare import compare

RTOL = 1e-6
ATOL = 1e-9
RUN_ID = re.compile(r"[0-9a-f]{32}")
# values of notebook-defined classes that --record wrote before artifacts kept them by value
LEGACY_MARKER = "__workbench_cloudpickle__"

# every store a step may write to (workbench.core.settings): each defaults to a folder of the
# project, which running the tests must leave as it found it
STORES = {
    "WORKBENCH_MODEL_STORE": "models",
    "WORKBENCH_ARTIFACT_ROOT": "mlartifacts",
    "WORKBENCH_ARTIFACT_STORE": "artifacts",
    "WORKBENCH_CACHE_DIR": "cache",
}


def isolate_stores(tmp_path: Path, monkeypatch: Any, root: Path) -> Iterator[None]:
    """Body of the generated autouse fixture: steps that log to MLflow, register models or cache
    artifacts write to stores in tmp_path, never the project's; cwd is the project root."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    for var, folder in STORES.items():
        monkeypatch.setenv(var, str(tmp_path / "stores" / folder))
    for var in ("MLFLOW_RUN_ID", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(root)  # steps run with the project root as working directory
    yield
    forget_experiment()


def forget_experiment() -> None:
    """mlflow.set_experiment leaves the experiment id in os.environ and in a module global;
    the store it belongs to is gone after the test, so neither may reach the next test."""
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    fluent = sys.modules.get("mlflow.tracking.fluent")
    if fluent is not None and hasattr(fluent, "_active_experiment_id"):
        setattr(fluent, "_active_experiment_id", None)  # noqa: B010 - a private global


class Recorded:
    """The values `productionize --record` stored under one pipeline's fixtures folder."""

    def __init__(self, fixtures: Path, command: str) -> None:
        self.fixtures = Path(fixtures)
        self.command = command

    def meta(self, step: str) -> dict[str, Any]:
        """fixtures/STEP/meta.json. A missing recording fails the test, never skips it: CI must
        not pass silently on steps nothing checks."""
        import pytest

        meta = self.fixtures / step / "meta.json"
        if not meta.is_file():
            pytest.fail(
                f"no recorded values for step {step}: run `{self.command} --record`",
                pytrace=False,
            )
        return dict(json.loads(meta.read_text()))

    def load(self, step: str, kind: str) -> dict[str, Any]:
        """The values recorded for `step` (kind: inputs | outputs)."""
        from workbench.runtime.artifacts import read_value

        names = self.meta(step)[kind]
        values = {name: read_value(str(self.fixtures / step / kind / name)) for name in names}
        for name, value in values.items():
            if isinstance(value, dict) and set(value) == {LEGACY_MARKER}:
                import cloudpickle

                values[name] = cloudpickle.loads(value[LEGACY_MARKER])
        return values

    def files(self, step: str, into: Path) -> dict[str, str]:
        """Parameter -> path of a private copy (under `into`) of the data file recorded for it.

        --record copied each local file a parameter of the step named into fixtures/STEP/files/;
        the step reads a copy in the test's tmp_path, never the project's data folder (absent on
        a clean clone) nor the committed fixture itself (a step could write to its path).
        """
        import pytest

        params: dict[str, str] = {}
        for param, rel in sorted(self.meta(step).get("files", {}).items()):
            source = self.fixtures / step / rel
            if not source.is_file():
                pytest.fail(
                    f"recorded data file {source} of step {step} is missing: "
                    f"run `{self.command} --record`",
                    pytrace=False,
                )
            target = Path(into) / "files" / step / Path(rel).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            params[param] = str(target)
        return params

    def sampled(self, step: str) -> dict[str, int]:
        """Output name -> stride, for outputs recorded as every n-th row (large values)."""
        return dict(self.meta(step).get("strides", {}))


def _rows(value: Any, stride: int) -> Any:
    if stride <= 1:
        return value
    return value.iloc[::stride] if hasattr(value, "iloc") else value[::stride]


def _probes(values: dict[str, Any]) -> list[Any]:
    import numpy as np
    import pandas as pd

    return [v for _, v in sorted(values.items()) if isinstance(v, pd.DataFrame | np.ndarray)]


def _is_model(value: Any) -> bool:
    return callable(getattr(value, "predict", None)) or callable(getattr(value, "transform", None))


def assert_matches(
    name: str, actual: Any, expected: Any, probes: dict[str, Any], stride: int = 1
) -> None:
    """`actual` equals the recorded `expected` (float tolerances, predictions for models)."""
    actual = _rows(actual, stride)
    if _is_model(expected) and not isinstance(expected, type):
        assert type(actual).__name__ == type(expected).__name__, name
        if _same_predictions(name, actual, expected, probes):
            return
    elif isinstance(expected, str) and RUN_ID.fullmatch(expected):
        # a run id (MLflow's uuid hex) is new on every run: check its form, not its value
        assert isinstance(actual, str) and RUN_ID.fullmatch(actual), name
        return
    found = compare(actual, expected, rtol=RTOL, atol=ATOL, path=name)
    assert found is None, found


def _same_predictions(name: str, actual: Any, expected: Any, probes: dict[str, Any]) -> bool:
    """Compare by predictions on the recorded frames and arrays; False when none fits."""
    import numpy as np

    method = "predict" if callable(getattr(expected, "predict", None)) else "transform"
    compared = 0
    for probe in _probes(probes):
        try:
            want = getattr(expected, method)(probe)
        except Exception:  # not this model's input: try the next recorded value
            continue
        got = getattr(actual, method)(probe)
        np.testing.assert_allclose(
            np.asarray(got, dtype=float),
            np.asarray(want, dtype=float),
            rtol=RTOL,
            atol=ATOL,
            err_msg=name,
        )
        compared += 1
    return compared > 0
