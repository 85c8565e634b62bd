"""Optuna tuning tracked in MLflow: `tune` returns the study; `summarize_study` feeds the views.

All use of optuna lives in this package (the widgets read a `StudySummary`, not the study).
"""

from __future__ import annotations

from workbench.tuning.space import suggest, validate_space
from workbench.tuning.study import default_storage, tune
from workbench.tuning.summary import StudySummary, summarize_study

__all__ = [
    "StudySummary",
    "default_storage",
    "suggest",
    "summarize_study",
    "tune",
    "validate_space",
]
