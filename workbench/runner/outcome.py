"""The end of `pipeline run`'s summary: what the steps logged, the promotion decision, and
where to look in MLflow (pure: events in, lines out; the links from the tracking settings).

The events come from each executed step's report file (workbench.core.step_report). A link is
`<UI>/#/experiments/E/runs/R` (the MLflow UI's run route). The UI is `$WORKBENCH_UI_URL` when
set, else the tracking server itself when the store is one (http/https); the embedded SQLite or
file store has no server, so the line says how to open it (`workbench ui`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

UI_URL_ENV = "WORKBENCH_UI_URL"  # workbench.widgets.compare reads the same variable
DEFAULT_UI = "http://127.0.0.1:5000"  # `workbench ui` without --port


def ui_base(tracking_uri: str, env: Mapping[str, str]) -> str | None:
    """The MLflow UI's base URL, or None when no server is known (a local store)."""
    if env.get(UI_URL_ENV):
        return env[UI_URL_ENV].rstrip("/")
    parts = urlsplit(tracking_uri)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")  # never the credentials
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return None


def run_link(base: str | None, experiment_id: str, run_id: str) -> str:
    """Where run `run_id` opens in the UI; for a local store, how to open it."""
    route = f"#/experiments/{experiment_id}/runs/{run_id}" if experiment_id else ""
    if base is not None:
        return f"{base}/{route}" if route else f"{base} (run {run_id})"
    where = f"{DEFAULT_UI}/{route}" if route else f"run {run_id}"
    return f"run `workbench ui`, then open {where}"


def _number(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def outcome_lines(
    steps: Iterable[tuple[str, list[dict[str, Any]]]],
    *,
    base: str | None,
    parent_run_id: str | None,
    experiment_id: str,
) -> list[str]:
    """The summary lines: metrics per step (with their run), models, decisions, the run link."""
    lines: list[str] = []
    for step, events in steps:
        for event in events:
            kind = event.get("kind")
            if kind == "metrics" and event.get("metrics"):
                values = "  ".join(f"{k}={_number(v)}" for k, v in sorted(event["metrics"].items()))
                link = run_link(base, str(event.get("experiment_id") or ""), event["run_id"])
                lines.append(f"metrics ({step}): {values}")
                lines.append(f"  MLflow: {link}")
            elif kind == "model":
                how = (
                    "reused: identical to the champion, no new version"
                    if event.get("reused")
                    else "registered"
                )
                lines.append(f"model ({step}): {event.get('name')} v{event.get('version')} ({how})")
            elif kind == "promotion":
                lines.append(f"promotion ({step}): {event.get('text')}")
    if parent_run_id:
        lines.append(f"pipeline run in MLflow: {run_link(base, experiment_id, parent_run_id)}")
    return lines
