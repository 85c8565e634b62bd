"""Dict search spaces: validated up front with the parameter named, then suggested by Optuna."""

from __future__ import annotations

import optuna
import pytest

from workbench.core.errors import WorkbenchError
from workbench.tuning.space import suggest, validate_space


def test_suggests_every_kind() -> None:
    space = validate_space(
        {
            "C": ("float", 1e-3, 10.0, {"log": True}),
            "n": ("int", 1, 9, {"step": 2}),
            "penalty": ("categorical", ["l1", "l2"]),
            "solver": ["saga", "liblinear"],
        }
    )
    trial = optuna.trial.FixedTrial({"C": 0.5, "n": 3, "penalty": "l2", "solver": "saga"})
    assert suggest(trial, space) == {"C": 0.5, "n": 3, "penalty": "l2", "solver": "saga"}
    study = optuna.create_study()
    params = suggest(study.ask(), space)
    assert 1e-3 <= params["C"] <= 10 and params["n"] in (1, 3, 5, 7, 9)


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"C": ("floaty", 0, 1)}, r"space\['C'\]: expected a tuple"),
        ({"C": ("float", 1, 0)}, r"space\['C'\]: low 1 is above high 0"),
        ({"C": ("float", 0, 1, {"log": True})}, r"space\['C'\]: a log scale needs low > 0"),
        ({"n": ("int", 0.5, 3)}, r"space\['n'\]: int bounds must be integers"),
        ({"n": ("int", 0, 3, {"lg": True})}, r"space\['n'\]: unknown option"),
        ({"p": ("categorical", "ab")}, r"space\['p'\]: categorical needs one list"),
        ({"p": []}, r"space\['p'\]: categorical needs at least one choice"),
        ({}, "space: expected a non-empty dict"),
    ],
)
def test_mistakes_name_the_parameter(space: dict, message: str) -> None:
    with pytest.raises(WorkbenchError, match=message):
        validate_space(space)
