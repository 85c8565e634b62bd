"""The JupyterLab side of workbench: a Jupyter server extension and its prebuilt front end.

The front end (TypeScript in `labextension/` at the repository root, built by the JupyterLab
extension toolchain into `workbench/lab/labextension/`) draws tag badges on cells and a side
panel with the pipeline a notebook compiles to. Its data comes from the handlers in
`workbench.lab.handlers`, which call the compiler in-process (`workbench.lab.analysis`, a pure
pass) and run productionize / verify / pipeline run as subprocesses (`workbench.lab.jobs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# the npm package name in labextension/package.json: the folder JupyterLab finds it under
LABEXTENSION_NAME = "workbench-lab"
LABEXTENSION_DIR = Path(__file__).parent / "labextension"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where `jupyter labextension develop` finds the built front end."""
    return [{"src": "labextension", "dest": LABEXTENSION_NAME}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.lab"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the /workbench/... handlers under the server's base URL."""
    from workbench.lab.handlers import setup_handlers

    setup_handlers(server_app.web_app)
    server_app.log.info("workbench.lab: /workbench/pipeline and /workbench/jobs registered")
