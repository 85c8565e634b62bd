"""Which parameter values name data files: one rule for the runner and for --record.

A parameter's canonical text (`workbench.spec.params`) names a data file when it is a single short line
that is an object-storage URI (`scheme://...`) or a path to an existing local file, absolute or
relative to the project root (never the working directory: a notebook run from `notebooks/` and
a CLI run from the root must agree). The runner hashes such files into the cache key of the
steps using the parameter; `productionize --record` copies local ones into the step's fixtures
so the generated tests do not depend on the project's (gitignored) data folder.
"""

from __future__ import annotations

from pathlib import Path

MAX_TEXT = 4096  # longer texts are data themselves, not names of data


def could_name_file(text: str) -> bool:
    """Whether `text` has the shape of a file name or URI at all (cheap, no disk access)."""
    return bool(text) and len(text) <= MAX_TEXT and "\n" not in text


def is_remote_uri(text: str) -> bool:
    return could_name_file(text) and "://" in text


def local_data_file(root: Path, text: str) -> Path | None:
    """The existing local file `text` names (relative paths against `root`), else None."""
    if not could_name_file(text) or "://" in text:
        return None
    path = Path(text).expanduser()
    path = path if path.is_absolute() else root / path
    try:
        return path if path.is_file() else None
    except OSError:
        return None
