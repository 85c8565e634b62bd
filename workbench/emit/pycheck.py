"""`python -m workbench.emit.pycheck [PATH...]`: generated Python checked as the generator made it
(`make lint` runs it on steps/ and tests/steps/; the compiler tests on fresh projects).

The project's own ruff settings exclude generated folders (its rule set is for code people
write); these are the generator's settings, the same in every project, from
workbench.emit.pyformat.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from workbench.emit.pyformat import RUFF_FORMAT, WIDTH, ruff_binary

# What generated code is linted with: pycodestyle and pyflakes. Not F401/F841: a cell's unused
# import or name is the notebook's (a step holds the notebook's cells), not the generator's. Not isort: the emitters
# group imports stdlib / third party / workbench / steps, which ruff's first-party detection
# would order differently in each project layout.
RUFF_CHECK = (
    "check",
    "--isolated",
    "--line-length",
    str(WIDTH),
    "--target-version",
    "py311",
    "--select",
    "E,F,W",
    "--ignore",
    "F401,F841",
)


def check_paths(paths: Sequence[str]) -> int:
    """`ruff format --check` and `ruff check` with the generator's settings on `paths`; ruff
    prints what fails. The exit status: 0 when both are clean."""
    status = 0
    for args in ((*RUFF_FORMAT, "--check"), RUFF_CHECK):
        status |= subprocess.run([ruff_binary(), *args, *paths], check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(check_paths(sys.argv[1:] or ["steps", "tests/steps"]))
