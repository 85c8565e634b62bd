"""workbench.runtime.testing, the module every generated step test imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench.runtime import write_value
from workbench.runtime.testing import Recorded, assert_matches


def test_frames_match_within_tolerance_and_fail_naming_the_cell() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    assert_matches("raw", frame + 1e-12, frame, {})
    with pytest.raises(AssertionError, match=r"raw\['a'\]\.iloc\[1\]: 2\.5 != expected 2\.0"):
        assert_matches("raw", pd.DataFrame({"a": [1.0, 2.5]}), frame, {})
    with pytest.raises(AssertionError, match="raw: type tuple != expected list"):
        assert_matches("raw", (1, 2), [1, 2], {})


def test_models_compare_by_predictions_and_run_ids_by_form() -> None:
    from sklearn.linear_model import LinearRegression

    X = np.arange(8.0).reshape(4, 2)
    y = np.array([1.0, 2.0, 3.0, 5.0])
    fitted = LinearRegression().fit(X, y)
    refit = LinearRegression().fit(X, y)
    assert_matches("model", refit, fitted, {"X": X})
    other = LinearRegression().fit(X, y[::-1])
    with pytest.raises(AssertionError):
        assert_matches("model", other, fitted, {"X": X})
    assert_matches("run_id", "a" * 32, "b" * 32, {})


def test_a_notebook_class_compares_by_attributes() -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec("class Log:\n    def __init__(self, n):\n        self.n = n\n", namespace)

    class Log:
        def __init__(self, n: int) -> None:
            self.n = n

    assert_matches("log", Log(1), namespace["Log"](1), {})
    with pytest.raises(AssertionError, match=r"log\.__dict__\['n'\]: 2 != expected 1"):
        assert_matches("log", Log(2), namespace["Log"](1), {})


def test_recorded_values_and_missing_recordings(tmp_path: Path) -> None:
    step = tmp_path / "fixtures" / "load"
    write_value((1, 2), str(step / "outputs" / "pair"))
    (step / "meta.json").write_text(json.dumps({"inputs": [], "outputs": ["pair"]}))
    recorded = Recorded(tmp_path / "fixtures", command="workbench productionize nb.ipynb")
    assert recorded.load("load", "outputs") == {"pair": (1, 2)}
    assert recorded.sampled("load") == {}
    with pytest.raises(pytest.fail.Exception, match="no recorded values for step train: run"):
        recorded.meta("train")
