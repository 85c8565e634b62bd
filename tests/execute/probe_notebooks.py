"""Small test notebooks built with nbformat (plain MLflow fluent calls, no workbench API)."""

from __future__ import annotations

from pathlib import Path

import nbformat

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
