"""The starter notebook `workbench init` writes: a quick, real experiment on scikit-learn's wine
data, with the cell tags `workbench productionize` compiles (`parameters`, `imports`,
`functions`, `step:NAME`, `skip`). Cell ids are fixed so the file is byte-identical every time.
"""

from __future__ import annotations

PARAMETERS = """\
# Parameters: `workbench run notebooks/train.ipynb -p C 0.5` overrides these.
experiment = "{experiment}"
test_size = 0.25
C = 1.0
max_iter = 500
random_state = 0"""

IMPORTS = """\
import mlflow
import mlflow.sklearn
import pandas as pd
import sklearn
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import workbench.tracking as wbt"""

FUNCTIONS = """\
TARGET = "target"


def load_raw() -> pd.DataFrame:
    \"\"\"scikit-learn's wine data (178 samples, 13 measurements, 3 cultivars): no download.\"\"\"
    return load_wine(as_frame=True).frame


def score(model: Pipeline, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    pred = model.predict(X)
    return {"accuracy": accuracy_score(y, pred), "f1_macro": f1_score(y, pred, average="macro")}"""

LOAD = """\
raw = load_raw()
print(f"{len(raw)} samples, {raw.shape[1] - 1} features")"""

EXPLORE = """\
raw.describe().T.head(8)"""

PREPARE = """\
X = raw.drop(columns=[TARGET])
y = raw[TARGET]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=test_size, random_state=random_state, stratify=y
)"""

TRAIN = """\
wbt.set_experiment(experiment)  # the project's store; a pipeline step keeps its own run's
with mlflow.start_run(run_name="train") as run:  # under `workbench run`: that command's run
    mlflow.log_params({"C": C, "max_iter": max_iter, "test_size": test_size, "random_state": random_state})
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))
    model.fit(X_train, y_train)
    # skops, MLflow's default format, loads only types it trusts: fine for this pipeline. Forests
    # and trees need skops_trusted_types=... (or serialization_format="cloudpickle").
    # Explicit requirements: inferring them re-loads the model in a fresh Python (about 10 s).
    mlflow.sklearn.log_model(
        model,
        name="model",
        input_example=X_train.head(3),
        pip_requirements=[f"scikit-learn=={sklearn.__version__}", f"pandas=={pd.__version__}"],
    )
    run_id = run.info.run_id"""

EVALUATE = """\
metrics = score(model, X_test, y_test)
with wbt.start_run(run_id=run_id) as tracked:  # the training run, wherever it runs
    tracked.log_metrics(metrics)
metrics"""

INTRO = """\
# {name}: starter experiment

Trains a scaled logistic regression on scikit-learn's wine data and logs it to MLflow.
Run it here, or as one tracked run with `workbench run notebooks/train.ipynb -p C 0.5`.
The cell tags (`parameters`, `imports`, `functions`, `step:*`, `skip`) are what
`workbench productionize` compiles into pipeline steps."""

# (id, kind, tags, source)
CELLS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("intro", "markdown", (), INTRO),
    ("parameters", "code", ("parameters",), PARAMETERS),
    ("imports", "code", ("imports",), IMPORTS),
    ("functions", "code", ("functions",), FUNCTIONS),
    ("load", "code", ("step:load",), LOAD),
    ("explore", "code", ("skip",), EXPLORE),
    ("prepare", "code", ("step:prepare",), PREPARE),
    ("train", "code", ("step:train",), TRAIN),
    ("evaluate", "code", ("step:evaluate",), EVALUATE),
)


def starter_notebook(name: str) -> str:
    """The notebook's JSON text (nbformat v4.5, sorted keys, trailing newline)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for cell_id, kind, tags, source in CELLS:
        text = source.replace("{experiment}", name).replace("{name}", name)
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(text, id=cell_id)
        else:
            cell = nbformat.v4.new_code_cell(text, id=cell_id)
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"
