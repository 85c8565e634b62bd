"""papermill execution of notebooks as tracked MLflow runs (`workbench run`).

from workbench.execute import run_notebook
result = run_notebook("notebooks/train.ipynb", {"C": 0.5})
"""

from workbench.execute.errors import NotebookFailed, NotebookInputError
from workbench.execute.params import parse_overrides, parse_value
from workbench.execute.run import NotebookRun, run_notebook

__all__ = [
    "NotebookFailed",
    "NotebookInputError",
    "NotebookRun",
    "parse_overrides",
    "parse_value",
    "run_notebook",
]
