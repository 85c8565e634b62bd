"""A notebook the compiler and the manifests were never written against: disease progression
regression (scikit-learn's diabetes table), Kaggle style, with plain `mlflow` calls beside
`workbench.tracking`, a bool switch, a list parameter and a helper module the notebook writes
itself with `%%writefile` (shipped in the image by productionize, absent until the notebook runs)."""

from __future__ import annotations

from pathlib import Path

import nbformat

CELLS = [
    (
        ["parameters"],
        'data_path = "data/diabetes.csv"\nalpha = 0.5\nfolds = 4\n'
        'log_target = True\nexperiment = "diabetes-progression"\nmodel_name = "diabetes-ridge"\n'
        'drop_cols = ["s4"]\n',
    ),
    (
        ["imports"],
        "import mlflow\nimport numpy as np\nimport pandas as pd\n"
        "from sklearn.linear_model import Ridge\nfrom sklearn.metrics import mean_absolute_error, r2_score\n"
        "from sklearn.model_selection import KFold, cross_val_score\n\n"
        "import workbench.data as wbdata\nimport workbench.tracking as wbt\n",
    ),
    (
        [],
        "%%writefile diabfeat.py\n"
        "def interaction(frame, a, b):\n"
        '    """The product of two standardised columns."""\n'
        "    return frame[a] * frame[b]\n",
    ),
    (["step:ingest"], "df = wbdata.load(data_path)\ndf = df.drop(columns=drop_cols)\ndf.shape\n"),
    (
        ["step:features"],
        "from diabfeat import interaction\n\n"
        "df['bmi_bp'] = interaction(df, 'bmi', 'bp')\n"
        "y = np.log1p(df.pop('target')) if log_target else df.pop('target')\n"
        "holdout = df.index % 5 == 0\nX_fit, X_hold = df[~holdout], df[holdout]\n"
        "y_fit, y_hold = y[~holdout], y[holdout]\n",
    ),
    (
        ["step:fit"],
        "wbt.set_experiment(experiment)\nwith wbt.start_run(run_name='ridge') as run:\n"
        "    reg = Ridge(alpha=alpha)\n"
        "    cv = cross_val_score(reg, X_fit, y_fit, cv=KFold(folds, shuffle=True, random_state=0))\n"
        "    reg.fit(X_fit, y_fit)\n    run.log_params({'alpha': alpha, 'folds': folds})\n"
        "    run.log_metrics({'cv_r2': float(cv.mean())})\n"
        "    info = run.log_model(reg, input_example=X_fit.head(3), register=model_name)\n"
        "    fit_run = run.run_id\n",
    ),
    (
        ["step:score"],
        "pred = reg.predict(X_hold)\n"
        "scores = {'r2': r2_score(y_hold, pred), 'mae': mean_absolute_error(y_hold, pred)}\n"
        "with mlflow.start_run(run_id=fit_run):\n    mlflow.log_metrics(scores)\nscores\n",
    ),
]


def write_unseen(project: Path) -> Path:
    """notebooks/diabetes.ipynb and its data file data/diabetes.csv under `project`."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    (project / "data").mkdir(parents=True, exist_ok=True)
    frame.to_csv(project / "data/diabetes.csv", index=False, float_format="%.8g")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell("# Diabetes progression: ridge regression")]
    nb.cells += [nbformat.v4.new_code_cell(src, metadata={"tags": tags}) for tags, src in CELLS]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    path = project / "notebooks/diabetes.ipynb"
    nbformat.write(nb, path)
    return path
