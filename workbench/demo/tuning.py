"""The example's tuning objective as a module: what every pod of the tuning fan-out imports.

The same search space, preprocessing, split and cross-validated ROC AUC as notebooks/tune.ipynb,
on the demo data built in memory (workbench.demo.data: no file to ship into the image), so the
final model has the training notebook's columns and the promotion gate can score the champion
on the same held-out rows. See workbench.tuning.worker for the module contract.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

TARGET = "malignant"
TEST_SIZE = 0.25
RANDOM_STATE = 42
CV_FOLDS = 5

space = {
    "C": ("float", 1e-3, 100.0, {"log": True}),
    "class_weight": ["none", "balanced"],
    "solver": ["lbfgs", "liblinear"],
}


def _relabel(raw: Any) -> Any:
    """Lab labels ("Radius (mean)") to snake_case ("mean_radius"); diagnosis M/B to 1/0."""

    def snake(label: str) -> str:
        name, _, kind = label.partition(" (")
        return f"{kind.rstrip(')')}_{name}".lower().replace(" ", "_")

    df = raw.drop(columns=["Sample ID"]).rename(
        columns=lambda c: c if c == "Diagnosis" else snake(c)
    )
    df[TARGET] = (df.pop("Diagnosis") == "M").astype(int)
    out = df.copy()
    out["radius_spread"] = out["worst_radius"] / out["mean_radius"]
    out["compactness_ratio"] = out["mean_perimeter"] ** 2 / out["mean_area"]
    return out


@lru_cache(maxsize=1)
def split() -> tuple[Any, Any, Any, Any]:
    """(X_train, X_test, y_train, y_test): the training notebook's split of the demo data."""
    from sklearn.model_selection import train_test_split

    from workbench.demo.data import build_demo_frame

    df = _relabel(build_demo_frame())
    X, y = df.drop(columns=[TARGET]), df[TARGET]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=RANDOM_STATE, stratify=y
    )
    return X_train, X_test, y_train, y_test


def _model(params: dict[str, Any]) -> Any:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(
            C=params["C"],
            class_weight=None if params["class_weight"] == "none" else "balanced",
            solver=params["solver"],
            max_iter=1000,
        ),
    )


def objective(params: dict[str, Any], trial: Any) -> float:
    """Cross-validated ROC AUC on the training split, each fold reported for pruning."""
    import numpy as np
    import optuna
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X_train, _, y_train, _ = split()
    model = _model(params)
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    scores = []
    for step, (fit_rows, val_rows) in enumerate(folds.split(X_train, y_train)):
        model.fit(X_train.iloc[fit_rows], y_train.iloc[fit_rows])
        proba = model.predict_proba(X_train.iloc[val_rows])[:, 1]
        scores.append(roc_auc_score(y_train.iloc[val_rows], proba))
        trial.report(float(np.mean(scores)), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return float(np.mean(scores))


def train(params: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The best parameters fitted on the whole training split; the held-out rows to gate it."""
    X_train, X_test, y_train, y_test = split()
    return _model(params).fit(X_train, y_train), X_test, y_test
