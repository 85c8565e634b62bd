"""Generated Python through ruff's formatter, so that it reads like the project's own code and
`ruff format --check` passes on steps/ and tests/steps/ like everywhere else.

The emitters lay out their own lines already; what they copy from the notebook (cells, helper
functions) is the user's layout, which only a formatter can normalise. The output must be the
same on every machine, or `productionize --check` would report drift that is not there:

- ruff runs `--isolated`, with the settings below passed on the command line, so neither the
  project's `[tool.ruff]` nor a user's ruff.toml changes what is generated;
- the ruff release is pinned to one minor series in pyproject.toml (its formatter style changes
  only between minor releases), and the binary is the one installed with workbench.

Formatting keeps the AST (ruff guarantees it); the cell-to-notebook line mapping of tracebacks
follows the tokens (workbench.spec.cellmap).
"""

from __future__ import annotations

import functools
import subprocess

from workbench.core.errors import WorkbenchError
from workbench.emit.pysource import WIDTH

# Everything that decides the output, explicit: line length, target version, defaults otherwise.
RUFF_FORMAT = (
    "format",
    "--isolated",
    "--line-length",
    str(WIDTH),
    "--target-version",
    "py311",
)


def ruff_binary() -> str:
    """The ruff executable installed with workbench (a dependency), not whichever is on PATH."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError as exc:  # pragma: no cover - ruff is a dependency of workbench
        raise WorkbenchError(
            "ruff is not installed: productionize formats the generated Python with it "
            "(pip install notebook-workbench installs it)"
        ) from exc
    return str(find_ruff_bin())


@functools.lru_cache(maxsize=256)
def format_python(text: str, path: str) -> str:
    """`text` as ruff formats it (`path` names the file in errors only). Cached: the step
    modules are rendered twice, once for their digests and once to be written."""
    try:
        done = subprocess.run(
            [ruff_binary(), *RUFF_FORMAT, "--stdin-filename", path, "-"],
            input=text,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WorkbenchError(
            f"{path}: cannot run ruff to format the generated code: {exc}"
        ) from exc
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise WorkbenchError(
            f"{path}: ruff cannot format the generated code ({detail}); "
            "please report this with the notebook"
        )
    return done.stdout
