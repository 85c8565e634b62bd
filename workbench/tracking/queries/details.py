"""Per-run detail for the diff view and champion marks: few runs, so MlflowClient (any store)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.tracking.queries.types import RunDetails

# Where the tracking engineer may record the executing cell's source (tag keys, artifact names).
CELL_SOURCE_TAGS = ("workbench.cell_source", "workbench.cell.source", "workbench.source.cell")


def champion_runs(run_ids: Iterable[str], alias: str = "champion") -> dict[str, list[str]]:
    """run id -> names of registered models whose `alias` version was logged by that run.

    A SQL registry at a known schema is read directly (no mlflow import for the first table);
    any other through MlflowClient."""
    from workbench.core.mlflow_schema import sql_engine
    from workbench.core.settings import settings

    engine = sql_engine(settings().registry_uri)
    if engine is not None:
        from workbench.tracking.queries.sql import champion_runs_sql

        return champion_runs_sql(engine, run_ids, alias)
    from mlflow.exceptions import MlflowException

    from workbench.tracking.config import tracking_client

    wanted = set(run_ids)
    client = tracking_client()
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
    from mlflow.exceptions import MlflowException

    from workbench.tracking.config import tracking_client

    client = tracking_client()
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
    """The notebook cell(s) that logged to the run: `workbench.tracking` saves each as the
    artifact workbench/cells/cell_<execution count>.py; older runs may carry a tag instead."""
    from workbench.tracking.context import CELL_ARTIFACT_DIR

    try:
        cells = [a.path for a in client.list_artifacts(run_id, CELL_ARTIFACT_DIR) if not a.is_dir]
    except Exception:  # an unreachable artifact store must not break the rest of the diff
        cells = []
    if cells:
        import mlflow.artifacts

        def count(path: str) -> int:
            digits = "".join(ch for ch in path.rsplit("/", 1)[-1] if ch.isdigit())
            return int(digits or 0)

        parts = []
        for path in sorted(cells, key=count):
            try:
                text = mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")
            except Exception:
                continue
            # a run reopened by a later cell has several: show them in execution order
            parts.append(text if len(cells) == 1 else f"# In[{count(path)}]\n{text}")
        if parts:
            return "\n".join(parts)
    for key in CELL_SOURCE_TAGS:
        if tags.get(key):
            return tags[key]
    return None
