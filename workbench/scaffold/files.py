"""The scaffold as data: relative path -> file text, a pure function of the project name."""

from __future__ import annotations

import re

from workbench import DISTRIBUTION, __version__
from workbench.core.errors import WorkbenchError
from workbench.scaffold import templates
from workbench.scaffold.notebook import starter_notebook


def project_name(raw: str) -> str:
    """A valid distribution name from a folder or --name: lower case, hyphens, no edge marks."""
    name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    if not name or not name[0].isalpha():
        raise WorkbenchError(
            f"{raw!r} cannot be a project name: start with a letter (use --name NAME)"
        )
    return name


def _fill(text: str, name: str) -> str:
    header = templates.HEADER.replace("@VERSION@", __version__)
    return (
        text.replace("@HEADER@", header)
        .replace("@NAME@", name)
        .replace("@VERSION@", __version__)
        .replace("@DISTRIBUTION@", DISTRIBUTION)
    )


def project_files(name: str) -> dict[str, str]:
    """Every file of a new project, keyed by POSIX path relative to its root (sorted)."""
    files = {
        ".gitignore": templates.GITIGNORE,
        "Makefile": templates.MAKEFILE,
        "README.md": templates.README,
        "environment.yml": templates.ENVIRONMENT,
        "pyproject.toml": templates.PYPROJECT,
        "tests/test_smoke.py": templates.SMOKE_TEST,
        "data/.gitkeep": templates.KEEP,
        "manifests/.gitkeep": templates.KEEP,
        "steps/.gitkeep": templates.KEEP,
    }
    out = {path: _fill(text, name) for path, text in files.items()}
    out["notebooks/train.ipynb"] = starter_notebook(name)
    return dict(sorted(out.items()))
