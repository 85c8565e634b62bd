"""The working directory of a step: the notebook's folder, as JupyterLab and papermill use.

`pd.read_csv("../data/x.csv")` and `from my_utils import f` (my_utils.py beside the notebook)
work in the notebook because its kernel starts in the notebook's folder, which is also first on
sys.path. Steps do the same: the pipeline package puts that folder on sys.path when imported,
and `run_step` changes into it after resolving the artifact paths it was given.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def notebook_dir(package_file: str, relative: str) -> str:
    """The notebook's folder for the package at `package_file` (steps/NAME/__init__.py, so
    the project root is two folders up), added to sys.path."""
    root = Path(package_file).resolve().parents[2]
    folder = os.path.normpath(root / relative)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return folder


def shipped_modules(package_file: str) -> str:
    """steps/NAME/_modules (the modules the notebook's `%%writefile` cells write), put first on
    sys.path: the text the cell holds now wins over a file an older run left beside the
    notebook, and the module imports where the notebook never ran."""
    folder = os.path.normpath(Path(package_file).resolve().parent / "_modules")
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    return folder


def absolute_uri(uri: str) -> str:
    """A local artifact path made absolute before the step changes its working directory;
    URLs (s3://, file://, ...) are left as they are."""
    if "://" in uri:
        return uri
    return os.path.abspath(uri)
