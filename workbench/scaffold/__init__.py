"""`workbench init`: scaffold a new project (layout, starter notebook, Makefile, smoke test).

from workbench.scaffold import scaffold_project
scaffold_project(Path("churn"))          # -> churn/notebooks/train.ipynb, Makefile, ...
"""

from __future__ import annotations

from pathlib import Path

from workbench.scaffold.files import project_files, project_name
from workbench.scaffold.write import write_tree


def scaffold_project(target: Path, name: str | None = None, *, force: bool = False) -> list[Path]:
    """Write a new project into `target` (named after the folder unless `name`); return its files."""
    project = project_name(name or target.absolute().name)
    return write_tree(target, project_files(project), force=force)


__all__ = ["project_files", "project_name", "scaffold_project"]
