"""Workbench: MLflow-tracked notebook experiments, compiled into pipelines that run locally and on Argo.

`import workbench` stays cheap: the heavy pieces (mlflow, optuna, ipywidgets) load on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
# The name pip knows this project by: `workbench` on the package index is another project.
# The import package and the command stay `workbench`.
DISTRIBUTION = "notebook-workbench"

# name -> "module:attribute", resolved lazily on first access (PEP 562).
_LAZY = {
    "tracking": "workbench.tracking",
    "data": "workbench.data",
    "compare": "workbench.widgets:compare",
    "tune": "workbench.tuning:tune",
    "promote": "workbench.tracking.promotion:promote",
}


def __getattr__(name: str) -> Any:
    from workbench.core.lazy import lazy_attribute

    return lazy_attribute(__name__, _LAZY, name)


__all__ = ["DISTRIBUTION", "__version__", *_LAZY]
