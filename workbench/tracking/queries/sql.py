"""The fast path: narrow, read-only SQLAlchemy Core queries over MLflow's tracking tables.

Only the columns a table row needs are read (run attributes, params, latest metrics, a few tags),
ids go in chunks, and each kind of value is one query per chunk, so a table of N runs costs a
handful of queries rather than MLflow's per-run entity loading. The tables (`runs`, `params`,
`latest_metrics`, `metrics`, `tags`, `experiments`) come from workbench.core.mlflow_schema, which
also checked the store's schema revision before this reader was chosen;
tests/widgets/test_queries.py checks the results against `MlflowClient.search_runs` on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from workbench.core.clock import now_ms as _now_ms
from workbench.core.mlflow_schema import EXPERIMENTS, METRICS, PARAMS, RUNS, TAGS
from workbench.core.mlflow_schema import LATEST_METRICS as LATEST
from workbench.tracking.queries import CHUNK, chunks, resolve_experiments
from workbench.tracking.queries.filters import (
    Tables,
    Untranslatable,
    check_order_attribute,
    where_clauses,
)
from workbench.tracking.queries.types import (
    DEFAULT_TAGS,
    Experiment,
    RunChanges,
    RunPage,
    RunRecord,
    SortKey,
)

# MLflow attribute name -> runs column; run_name goes through the mlflow.runName tag, as in MLflow
ATTRIBUTE_COLUMNS = {
    "run_id": "run_uuid",
    "status": "status",
    "start_time": "start_time",
    "end_time": "end_time",
    "user_id": "user_id",
    "artifact_uri": "artifact_uri",
    "run_name": "name",
    "created": "start_time",
    "Created": "start_time",
}

TABLES = Tables(runs=RUNS, params=PARAMS, tags=TAGS, latest=LATEST)


class SqlRunSource:
    """Run queries over one SQL tracking store, restricted to some experiments."""

    def __init__(
        self, engine: sa.Engine, uri: str, experiments: str | Sequence[str] | None = None
    ) -> None:
        self.engine = engine
        self.uri = uri
        self.tag_keys = DEFAULT_TAGS
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(EXPERIMENTS.c.experiment_id, EXPERIMENTS.c.name).where(
                    EXPERIMENTS.c.lifecycle_stage == "active"
                )
            ).all()
        available = [Experiment(str(r[0]), str(r[1])) for r in rows]
        self.experiments = resolve_experiments(experiments, available)
        self._ids = [int(e.experiment_id) for e in self.experiments]
        self._fallback: Any = None

    # ---- filters -------------------------------------------------------------------------
    def _where(self, filter_string: str) -> list[Any]:
        """SQL conditions for the experiments, active runs and the filter (see filters.py)."""
        return [
            RUNS.c.experiment_id.in_(self._ids),
            RUNS.c.lifecycle_stage == "active",
            *where_clauses(filter_string, self.engine.dialect.name, TABLES),
        ]

    def _client(self) -> Any:
        if self._fallback is None:
            from workbench.tracking.queries.client import ClientRunSource

            self._fallback = ClientRunSource(self.uri, [e.experiment_id for e in self.experiments])
        return self._fallback

    # ---- queries ---------------------------------------------------------------------------
    def keys(self) -> tuple[list[str], list[str]]:
        """Param and metric names used by active runs of the experiments, sorted."""
        out: list[list[str]] = []
        for table in (PARAMS, LATEST):
            query = (
                sa.select(table.c.key)
                .distinct()
                .join(RUNS, RUNS.c.run_uuid == table.c.run_uuid)
                .where(RUNS.c.experiment_id.in_(self._ids), RUNS.c.lifecycle_stage == "active")
            )
            with self.engine.connect() as conn:
                out.append(sorted(str(k) for k in conn.scalars(query)))
        return out[0], out[1]

    def search(
        self, filter_string: str = "", order: SortKey | None = None, limit: int | None = None
    ) -> RunPage:
        watermark = _now_ms() - 1000  # clock slack: refetching a run twice is harmless
        try:
            where = self._where(filter_string)
        except Untranslatable:
            page: RunPage = self._client().search(filter_string, order, limit)
            return page
        query = _apply_order(sa.select(*self._run_columns()).where(*where), order)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            runs = conn.execute(query).all()
            total = len(runs)
            if limit is not None and total >= limit:
                total = int(
                    conn.scalar(sa.select(sa.func.count()).select_from(RUNS).where(*where)) or 0
                )
            records = self._records(conn, runs)
        return RunPage(records, total, watermark)

    def changed_since(
        self, filter_string: str, since_ms: int, running: Iterable[str] = ()
    ) -> RunChanges:
        """Runs that started, ended, logged a metric or were running since the watermark."""
        watermark = _now_ms() - 1000
        try:
            where = self._where(filter_string)
        except Untranslatable:
            changes: RunChanges = self._client().changed_since(filter_string, since_ms, running)
            return changes
        touched = sa.select(LATEST.c.run_uuid).where(LATEST.c.timestamp >= since_ms)
        changed = sa.or_(
            RUNS.c.start_time >= since_ms,
            RUNS.c.end_time >= since_ms,
            RUNS.c.run_uuid.in_(list(running)),
            RUNS.c.run_uuid.in_(touched),
        )
        query = sa.select(*self._run_columns()).where(*where, changed)
        deleted = sa.select(RUNS.c.run_uuid).where(
            RUNS.c.experiment_id.in_(self._ids),
            RUNS.c.lifecycle_stage == "deleted",
            RUNS.c.deleted_time >= since_ms,
        )
        with self.engine.connect() as conn:
            records = self._records(conn, conn.execute(query).all())
            removed = {str(r) for r in conn.scalars(deleted)}
        return RunChanges(records, removed, watermark)

    def metric_extremes(
        self, run_ids: Sequence[str], keys: Sequence[str]
    ) -> dict[str, dict[str, tuple[float, float]]]:
        out: dict[str, dict[str, tuple[float, float]]] = {}
        with self.engine.connect() as conn:
            for part in chunks(list(run_ids)):
                query = (
                    sa.select(
                        METRICS.c.run_uuid,
                        METRICS.c.key,
                        sa.func.min(METRICS.c.value),
                        sa.func.max(METRICS.c.value),
                    )
                    .where(
                        METRICS.c.run_uuid.in_(part),
                        METRICS.c.key.in_(list(keys)),
                        METRICS.c.is_nan == sa.false(),
                    )
                    .group_by(METRICS.c.run_uuid, METRICS.c.key)
                )
                for run_id, key, low, high in conn.execute(query):
                    out.setdefault(run_id, {})[key] = (float(low), float(high))
        return out

    def metrics_at_step(
        self, run_ids: Sequence[str], keys: Sequence[str], step: int
    ) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        with self.engine.connect() as conn:
            for part in chunks(list(run_ids)):
                query = (
                    sa.select(METRICS.c.run_uuid, METRICS.c.key, METRICS.c.value, METRICS.c.is_nan)
                    .where(
                        METRICS.c.run_uuid.in_(part),
                        METRICS.c.key.in_(list(keys)),
                        METRICS.c.step == step,
                    )
                    .order_by(METRICS.c.timestamp)  # the last write at that step wins
                )
                for run_id, key, value, is_nan in conn.execute(query):
                    out.setdefault(run_id, {})[key] = math.nan if is_nan else float(value)
        return out

    def metric_history(
        self, run_ids: Sequence[str], key: str
    ) -> dict[str, list[tuple[int, float]]]:
        out: dict[str, list[tuple[int, float]]] = {r: [] for r in run_ids}
        query = (
            sa.select(METRICS.c.run_uuid, METRICS.c.step, METRICS.c.value, METRICS.c.is_nan)
            .where(METRICS.c.run_uuid.in_(list(run_ids)), METRICS.c.key == key)
            .order_by(METRICS.c.run_uuid, METRICS.c.step, METRICS.c.timestamp)
        )
        with self.engine.connect() as conn:
            for run_id, step, value, is_nan in conn.execute(query):
                out[run_id].append((int(step), math.nan if is_nan else float(value)))
        return out

    # ---- row assembly ----------------------------------------------------------------------
    @staticmethod
    def _run_columns() -> list[Any]:
        c = RUNS.c
        return [c.run_uuid, c.name, c.experiment_id, c.status, c.start_time, c.end_time]

    def _records(self, conn: sa.Connection, runs: Sequence[Any]) -> list[RunRecord]:
        """Assemble rows: one query per value kind and chunk, then one pass over the results."""
        ids = [r[0] for r in runs]
        params: dict[str, dict[str, str]] = {i: {} for i in ids}
        metrics: dict[str, dict[str, float]] = {i: {} for i in ids}
        tags: dict[str, dict[str, str]] = {i: {} for i in ids}
        for part in chunks(ids, CHUNK):
            for run_id, key, value in conn.execute(
                sa.select(PARAMS.c.run_uuid, PARAMS.c.key, PARAMS.c.value).where(
                    PARAMS.c.run_uuid.in_(part)
                )
            ):
                params[run_id][key] = value
            for run_id, key, value, is_nan in conn.execute(
                sa.select(LATEST.c.run_uuid, LATEST.c.key, LATEST.c.value, LATEST.c.is_nan).where(
                    LATEST.c.run_uuid.in_(part)
                )
            ):
                metrics[run_id][key] = math.nan if is_nan else float(value)
            for run_id, key, value in conn.execute(
                sa.select(TAGS.c.run_uuid, TAGS.c.key, TAGS.c.value).where(
                    TAGS.c.run_uuid.in_(part), TAGS.c.key.in_(self.tag_keys)
                )
            ):
                tags[run_id][key] = value
        return [
            RunRecord(
                run_id=r[0],
                name=r[1] or r[0][:8],
                experiment_id=str(r[2]),
                status=r[3] or "",
                start_time=int(r[4] or 0),
                end_time=None if r[5] is None else int(r[5]),
                params=params[r[0]],
                metrics=metrics[r[0]],
                tags=tags[r[0]],
            )
            for r in runs
        ]


def _apply_order(query: Any, order: SortKey | None) -> Any:
    """Order by the key (missing values last either way), then MLflow's natural order."""
    natural = [RUNS.c.start_time.desc(), RUNS.c.run_uuid]
    if order is None:
        return query.order_by(*natural)
    column: Any
    missing: Any
    if order.kind == "attribute":
        check_order_attribute(order.key)
        column = RUNS.c[ATTRIBUTE_COLUMNS[order.key]]
        missing = column.is_(None)
    else:
        # the one row holding the sort key's value, joined so runs without it stay in
        source = LATEST if order.kind == "metric" else PARAMS
        extra = [source.c.is_nan] if order.kind == "metric" else []
        sub = (
            sa.select(source.c.run_uuid, source.c.value, *extra)
            .where(source.c.key == order.key)
            .subquery("order_value")
        )
        query = query.outerjoin(sub, sub.c.run_uuid == RUNS.c.run_uuid)
        column = sub.c.value
        missing = column.is_(None)
        if order.kind == "metric":
            missing = sa.or_(missing, sub.c.is_nan == sa.true())
    direction = column.asc() if order.ascending else column.desc()
    return query.order_by(missing, direction, *natural)


def champion_runs_sql(
    engine: sa.Engine, run_ids: Iterable[str], alias: str = "champion"
) -> dict[str, list[str]]:
    """run id -> registered models whose `alias` version that run logged, from the registry's
    own tables (what MlflowClient's alias lookups return, without importing mlflow)."""
    from workbench.core import mlflow_schema as schema

    aliases, versions = schema.REGISTERED_MODEL_ALIASES, schema.MODEL_VERSIONS
    joined = aliases.join(
        versions,
        sa.and_(
            versions.c.workspace == aliases.c.workspace,
            versions.c.name == aliases.c.name,
            versions.c.version == aliases.c.version,
        ),
    )
    marks: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for chunk in chunks(sorted(set(run_ids))):
            query = (
                sa.select(versions.c.run_id, aliases.c.name)
                .select_from(joined)
                .where(
                    aliases.c.alias == alias,
                    aliases.c.workspace == schema.DEFAULT_WORKSPACE,
                    versions.c.current_stage != schema.DELETED_STAGE,
                    versions.c.run_id.in_(list(chunk)),
                )
                .order_by(aliases.c.name)
            )
            for run_id, name in conn.execute(query):
                marks.setdefault(run_id, []).append(name)
    return marks
