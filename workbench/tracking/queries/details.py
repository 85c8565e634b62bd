"""Per-run detail for the diff view and champion marks: few runs, so MlflowClient (any store)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.tracking.queries.types import RunDetails

# Where the tracking engineer may record the executing cell's source (tag keys, artifact names).
CELL_SOURCE_TAGS = ("workbench.cell_source", "workbench.cell.source", "workbench.source.cell")
CELL_SOURCE_ARTIFACT_HINTS = ("cell", "source")


def champion_runs(run_ids: Iterable[str], alias: str = "champion") -> dict[str, list[str]]:
    """run id -> names of registered models whose `alias` version was logged by that run."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    wanted = set(run_ids)
    client = MlflowClient()
    marks: dict[str, list[str]] = {}
    try:
        models = client.search_registered_models(max_results=1000)
    except MlflowException:
        return marks
    for model in models:
        if alias not in (model.aliases or {}):
            continue
        try:
            version = client.get_model_version_by_alias(model.name, alias)
        except MlflowException:
            continue
        if version.run_id in wanted:
            marks.setdefault(version.run_id, []).append(model.name)
    return marks


def run_details(run_id: str) -> RunDetails:
    """Params, metrics, tags, dataset digests and the cell source of one run (for the diff)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise WorkbenchError(f"run {run_id!r}: {exc.message}") from exc
    datasets = [
        (d.dataset.name, d.dataset.digest)
        for d in (run.inputs.dataset_inputs if run.inputs else [])
    ]
    tags = dict(run.data.tags)
    return RunDetails(
        run_id=run_id,
        name=run.info.run_name or run_id[:8],
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
        tags=tags,
        datasets=sorted(datasets),
        cell_source=_cell_source(client, run_id, tags),
    )


def _cell_source(client: Any, run_id: str, tags: dict[str, str]) -> str | None:
    """The notebook cell that produced the run: a known tag, else a small text artifact."""
    for key in CELL_SOURCE_TAGS:
        if tags.get(key):
            return tags[key]
    for key, value in sorted(tags.items()):
        if "cell" in key.lower() and ("source" in key.lower() or "code" in key.lower()):
            return value
    try:
        candidates = _artifact_paths(client, run_id)
    except Exception:  # any store error: the diff still shows everything else
        return None
    for path in candidates:
        lower = path.lower()
        if lower.endswith((".py", ".txt")) and any(h in lower for h in CELL_SOURCE_ARTIFACT_HINTS):
            try:
                import mlflow.artifacts

                text: str = mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")
                return text
            except Exception:
                return None
    return None


def _artifact_paths(client: Any, run_id: str, depth: int = 2) -> list[str]:
    paths: list[str] = []
    pending: list[tuple[str | None, int]] = [(None, 0)]
    while pending:
        folder, level = pending.pop()
        for info in client.list_artifacts(run_id, folder):
            if info.is_dir and level + 1 < depth:
                pending.append((info.path, level + 1))
            elif not info.is_dir and (info.file_size or 0) < 200_000:
                paths.append(info.path)
    return sorted(paths)
