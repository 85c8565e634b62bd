"""The portable path: the same queries through `MlflowClient`, for stores without SQL access.

Used for file, REST (a `workbench ui`/tracking server) and Databricks stores, and by the SQL
reader for filter terms it does not translate (dataset filters). It pages with MLflow's page
token and reads whole runs, so it is as fast as `search_runs` and no faster.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from workbench.core.clock import now_ms as _now_ms
from workbench.core.errors import WorkbenchError
from workbench.tracking.queries import resolve_experiments
from workbench.tracking.queries.types import (
    DEFAULT_TAGS,
    Experiment,
    RunChanges,
    RunPage,
    RunRecord,
    SortKey,
)

PAGE = 1000  # MLflow's own page size limit for search_runs is 50,000; smaller pages stream


class ClientRunSource:
    def __init__(self, uri: str, experiments: str | Sequence[str] | None = None) -> None:
        from mlflow import MlflowClient

        self.uri = uri
        self.client = MlflowClient(uri)
        available = [
            Experiment(str(e.experiment_id), e.name) for e in self.client.search_experiments()
        ]
        self.experiments = resolve_experiments(experiments, available)
        self._ids = [e.experiment_id for e in self.experiments]

    def _runs(self, filter_string: str, order: SortKey | None, limit: int | None) -> list[Any]:
        from mlflow.exceptions import MlflowException

        order_by = [] if order is None else [_order_clause(order)]
        runs: list[Any] = []
        token = None
        while limit is None or len(runs) < limit:
            size = PAGE if limit is None else min(PAGE, limit - len(runs))
            try:
                page = self.client.search_runs(
                    self._ids, filter_string, max_results=size, order_by=order_by, page_token=token
                )
            except MlflowException as exc:
                raise WorkbenchError(f"filter {filter_string!r}: {exc.message}") from exc
            runs.extend(page)
            token = page.token
            if not token:
                break
        return runs

    def keys(self) -> tuple[list[str], list[str]]:
        params: set[str] = set()
        metrics: set[str] = set()
        for run in self._runs("", None, None):
            params.update(run.data.params)
            metrics.update(run.data.metrics)
        return sorted(params), sorted(metrics)

    def search(
        self, filter_string: str = "", order: SortKey | None = None, limit: int | None = None
    ) -> RunPage:
        watermark = _now_ms() - 1000
        runs = self._runs(filter_string, order, limit)
        total = len(runs)
        if limit is not None and total >= limit:
            total = len(self._runs(filter_string, None, None))
        return RunPage([_record(r) for r in runs], total, watermark)

    def changed_since(
        self, filter_string: str, since_ms: int, running: Iterable[str] = ()
    ) -> RunChanges:
        # no cheap change feed through the REST API: re-read and let the caller merge
        watermark = _now_ms() - 1000
        records = [_record(r) for r in self._runs(filter_string, None, None)]
        return RunChanges(records, set(), watermark)

    def metric_extremes(
        self, run_ids: Sequence[str], keys: Sequence[str]
    ) -> dict[str, dict[str, tuple[float, float]]]:
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for run_id in run_ids:
            for key in keys:
                values = [m.value for m in self.client.get_metric_history(run_id, key)]
                values = [v for v in values if not math.isnan(v)]
                if values:
                    out.setdefault(run_id, {})[key] = (min(values), max(values))
        return out

    def metrics_at_step(
        self, run_ids: Sequence[str], keys: Sequence[str], step: int
    ) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for run_id in run_ids:
            for key in keys:
                history = sorted(
                    self.client.get_metric_history(run_id, key), key=lambda m: m.timestamp
                )
                for m in history:
                    if m.step == step:
                        out.setdefault(run_id, {})[key] = m.value
        return out

    def metric_history(
        self, run_ids: Sequence[str], key: str
    ) -> dict[str, list[tuple[int, float]]]:
        return {
            run_id: sorted((m.step, m.value) for m in self.client.get_metric_history(run_id, key))
            for run_id in run_ids
        }


def _order_clause(order: SortKey) -> str:
    prefix = {"metric": "metrics", "param": "params", "attribute": "attributes"}[order.kind]
    return f"{prefix}.`{order.key}` {'ASC' if order.ascending else 'DESC'}"


def _record(run: Any) -> RunRecord:
    info, data = run.info, run.data
    return RunRecord(
        run_id=info.run_id,
        name=info.run_name or info.run_id[:8],
        experiment_id=str(info.experiment_id),
        status=info.status,
        start_time=int(info.start_time or 0),
        end_time=info.end_time,
        params=dict(data.params),
        metrics=dict(data.metrics),
        tags={k: v for k, v in data.tags.items() if k in DEFAULT_TAGS},
    )
