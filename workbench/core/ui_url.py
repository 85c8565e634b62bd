"""Where `workbench ui` serves the MLflow UI, recorded in the project for the run links.

`workbench ui --port N` writes `.workbench/ui.json` before it becomes the MLflow server, and
`workbench.compare()` links runs there, so links follow the port the UI really uses. The
order: an explicit `base_url`, then $WORKBENCH_UI_URL, then the recorded URL, then MLflow's
default http://127.0.0.1:5000.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

UI_URL_ENV = "WORKBENCH_UI_URL"
DEFAULT_UI_URL = "http://127.0.0.1:5000"
RECORD = Path(".workbench") / "ui.json"
WILDCARDS = ("0.0.0.0", "::", "")


def ui_url(host: str, port: int) -> str:
    """The URL a browser on this machine opens for a server bound to host:port."""
    if host in WILDCARDS:  # bound to every interface: loopback reaches it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def record_ui_url(root: Path, url: str) -> Path:
    path = root / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"url": url}) + "\n")
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path


def recorded_ui_url(root: Path) -> str | None:
    """The URL `workbench ui` last recorded for this project (None if none or unreadable)."""
    try:
        data = json.loads((root / RECORD).read_text())
    except (OSError, ValueError):
        return None
    url = data.get("url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def resolve_ui_url(root: Path, explicit: str | None = None) -> str:
    return explicit or os.environ.get(UI_URL_ENV) or recorded_ui_url(root) or DEFAULT_UI_URL
