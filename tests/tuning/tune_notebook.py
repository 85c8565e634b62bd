"""Builds notebooks/tune.ipynb (fixed cell ids, no outputs: byte-identical on every build).

    PYTHONPATH=. .venv/bin/python tests/tuning/tune_notebook.py     # rewrite the notebook
test_tune_notebook.py fails when the committed notebook and this builder drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "tune.ipynb"

CELLS: list[tuple[str, str, list[str], str]] = [
    (
        "intro",
        "markdown",
        [],
        """\
# Tune the breast-cancer classifier, then compare the trials with the champion

`workbench.tune` runs an Optuna study whose parent MLflow run holds the settings and the best
result; every trial is a nested run (parameters, cross-validated ROC AUC, per-fold values as
steps, state). The study lives in `optuna.db` beside the tracking store: run this notebook
again and the study resumes. `workbench.compare` then shows the trials next to the runs of the
training notebook, with the run behind the `champion` model marked.""",
    ),
    (
        "parameters",
        "code",
        ["parameters"],
        """\
# Parameters: papermill and `workbench run -p NAME VALUE` override these.
data_path = "data/raw/breast_cancer.csv"
experiment = "breast-cancer-tuning"
champion_experiment = "breast-cancer"
model_name = "breast-cancer"
study_name = "breast-cancer-logreg"
n_trials = 20
cv_folds = 5
test_size = 0.25
random_state = 42""",
    ),
    (
        "imports",
        "code",
        ["imports"],
        """\
import numpy as np
import optuna
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import workbench
import workbench.data as wbdata

optuna.logging.set_verbosity(optuna.logging.WARNING)""",
    ),
    (
        "functions",
        "code",
        ["functions"],
        """\
TARGET = "malignant"


def relabel(raw: pd.DataFrame) -> pd.DataFrame:
    \"\"\"Lab labels ("Radius (mean)") to snake_case ("mean_radius"); diagnosis M/B to 1/0.\"\"\"
    def snake(label: str) -> str:
        name, _, kind = label.partition(" (")
        return f"{kind.rstrip(')')}_{name}".lower().replace(" ", "_")

    df = raw.drop(columns=["Sample ID"]).rename(columns=lambda c: c if c == "Diagnosis" else snake(c))
    df[TARGET] = (df.pop("Diagnosis") == "M").astype(int)
    return df


def add_features(df: pd.DataFrame) -> pd.DataFrame:
    \"\"\"Shape features a pathologist looks at: how far the worst cell is from the mean one.\"\"\"
    out = df.copy()
    out["radius_spread"] = out["worst_radius"] / out["mean_radius"]
    out["compactness_ratio"] = out["mean_perimeter"] ** 2 / out["mean_area"]
    return out""",
    ),
    (
        "md-data",
        "markdown",
        [],
        """\
## Data: the training notebook's preprocessing and split, so the test rows stay unseen""",
    ),
    (
        "data",
        "code",
        [],
        """\
df = add_features(relabel(wbdata.load(data_path)))
X = df.drop(columns=[TARGET])
y = df[TARGET]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=test_size, random_state=random_state, stratify=y
)
print(f"{len(X_train)} training rows, {len(X_test)} held out")""",
    ),
    (
        "md-objective",
        "markdown",
        [],
        """\
## Objective: cross-validated ROC AUC on the training split

Each fold's running mean is reported to Optuna (and logged as a metric step), so the median
pruner can stop a hopeless trial after a few folds.""",
    ),
    (
        "objective",
        "code",
        [],
        """\
space = {
    "C": ("float", 1e-3, 100.0, {"log": True}),
    "class_weight": ["none", "balanced"],
    "solver": ["lbfgs", "liblinear"],
}


def objective(params: dict, trial: optuna.Trial) -> float:
    model = make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(
            C=params["C"],
            class_weight=None if params["class_weight"] == "none" else "balanced",
            solver=params["solver"],
            max_iter=1000,
        ),
    )
    folds = StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=random_state)
    scores = []
    for step, (fit_rows, val_rows) in enumerate(folds.split(X_train, y_train)):
        model.fit(X_train.iloc[fit_rows], y_train.iloc[fit_rows])
        proba = model.predict_proba(X_train.iloc[val_rows])[:, 1]
        scores.append(roc_auc_score(y_train.iloc[val_rows], proba))
        trial.report(float(np.mean(scores)), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return float(np.mean(scores))""",
    ),
    (
        "tune",
        "code",
        [],
        """\
study = workbench.tune(
    objective,
    space,
    n_trials=n_trials,
    experiment=experiment,
    study_name=study_name,
    metric="cv_roc_auc",
    direction="maximize",
    sampler=optuna.samplers.TPESampler(seed=random_state),
)
print(f"{len(study.trials)} trials; best cv_roc_auc {study.best_value:.4f} with {study.best_params}")""",
    ),
    (
        "md-compare",
        "markdown",
        [],
        """\
## Compare the trials with the training runs and the champion

Sort by any column, filter with MLflow's syntax (`params.solver = 'lbfgs'`), switch the value
to the best or a step, select runs for the history overlay and the diff, and register the
selected run's model and put it through the same promotion gate as `workbench promote`.""",
    ),
    (
        "compare",
        "code",
        [],
        """\
from mlflow import MlflowClient

# the training notebook's experiment, when it has run (make demo runs it first)
shown = [e for e in [champion_experiment] if MlflowClient().get_experiment_by_name(e)]
view = workbench.compare(
    shown,
    study=study,
    metric="cv_roc_auc",
    model_name=model_name,
    promote_data=(X_test, y_test),
)
view""",
    ),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    for cell_id, kind, tags, source in CELLS:
        cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(
            source
        )
        cell.id = cell_id
        cell.metadata = {"tags": tags} if tags else {}
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render() -> str:
    return nbformat.writes(build()) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOK
    target.write_text(render(), encoding="utf-8", newline="\n")
    print(target)
