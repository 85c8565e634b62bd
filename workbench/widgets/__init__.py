"""In-notebook comparison views (ipywidgets + plotly) over workbench.tracking queries.

The only package that imports ipywidgets and plotly; `workbench.compare` maps to `compare`.
"""

from __future__ import annotations

from workbench.widgets.compare import compare
from workbench.widgets.state import CompareState, StudyInfo
from workbench.widgets.view import CompareView

__all__ = ["CompareState", "CompareView", "StudyInfo", "compare"]
