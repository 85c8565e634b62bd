"""Keep `workbench run` start-up lean.

papermill imports nbformat, nbformat imports jsonschema, and jsonschema's format checkers import
`rfc3987_syntax` when it is installed (JupyterLab pulls it in). Building that module's grammar
costs 1.5-2 s of import time (measured with `python -X importtime -c "import papermill"`:
rfc3987_syntax 1.95 s of papermill's 3.0 s) and buys only the "iri"/"iri-reference" format
checks, which the notebook schema never uses. The kernel process does not import jsonschema.
"""

from __future__ import annotations

import sys

SLOW_OPTIONAL_MODULES = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    """Make the optional imports fail fast in this process (jsonschema then skips those checks).

    Only for a process that exists to run a notebook (the `workbench run` command): a `None`
    entry in sys.modules makes `import rfc3987_syntax` raise ImportError, which jsonschema
    catches. Already-imported modules are left alone.
    """
    for name in SLOW_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
