"""Helpers for the execute tests: small notebooks built with nbformat (plain MLflow fluent calls,
no workbench API) and MLflow state isolation."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

PARAMETERS = 'alpha = 1\nlabel = "x"\nfail = False\nexperiment = "probe"'
LOGGING = (
    "import os\n"
    "from pathlib import Path\n"
    "import mlflow\n"
    'mlflow.log_metric("alpha_sq", alpha * alpha)\n'
    'mlflow.log_param("label_type", type(label).__name__)\n'
    'mlflow.log_param("kernel_notebook", os.environ["WORKBENCH_NOTEBOOK"])\n'
    'mlflow.log_param("kernel_cwd", Path.cwd().name)'
)
FAILING = 'if fail:\n    raise ValueError(f"boom {alpha}")'


def write_probe(path: Path) -> Path:
    """parameters cell, a cell logging through MLflow's fluent API, a cell that fails on demand."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    params = nbformat.v4.new_code_cell(PARAMETERS, id="params")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# probe", id="intro"),
        params,
        nbformat.v4.new_code_cell(LOGGING, id="logit"),
        nbformat.v4.new_code_cell(FAILING, id="boom"),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def isolate_mlflow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo, after the test, what in-process MLflow use leaves behind: `mlflow.set_tracking_uri`
    also writes MLFLOW_TRACKING_URI into os.environ, and the fluent API keeps module globals."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID"):
        original = os.environ.get(var)
        monkeypatch.setenv(var, original or "")  # records the original state for undo
        if original is None:
            monkeypatch.delenv(var)
    monkeypatch.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
    monkeypatch.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
    monkeypatch.setattr(fluent, "_active_experiment_id", fluent._active_experiment_id)
