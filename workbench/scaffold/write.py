"""Put a scaffold on disk without ever leaving half a project behind.

Everything is written into a temporary folder beside the target first. A new target is then
swapped in with one rename; into an existing folder (empty, or any with --force) each file is
moved with `os.replace` (atomic per file) after all of them were written successfully.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from workbench.core.errors import WorkbenchError


def _stage(files: Mapping[str, str], parent: Path, name: str) -> Path:
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}.init-"))
    try:
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def write_tree(target: Path, files: Mapping[str, str], *, force: bool = False) -> list[Path]:
    """Write `files` under `target`; refuse a non-empty target unless `force`. Returns the paths."""
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise WorkbenchError(f"{target}: exists and is not a folder")
    occupied = target.is_dir() and any(target.iterdir())
    if occupied and not force:
        raise WorkbenchError(f"{target}: folder is not empty (use --force to add the scaffold)")
    clashes = [rel for rel in files if (target / rel).is_dir()]
    if clashes:
        raise WorkbenchError(f"{target}: {', '.join(clashes)} exist(s) as folder(s)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _stage(files, target.parent, target.name)
    try:
        if not target.exists():
            staging.rename(target)
        else:  # an existing folder (maybe the working directory) keeps its identity
            for rel in files:
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, target / rel)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target / rel for rel in files]
