"""Read-only run queries for the comparison views: only the columns a table needs, page by page.

`mlflow.search_runs` loads every param, metric and tag of every run, which is what makes it slow
past a few thousand runs. For SQL tracking stores (the project default is SQLite) `sql.py` reads
MLflow's own tables (`experiments`, `runs`, `params`, `latest_metrics`, `metrics`, `tags`) with
narrow SQLAlchemy Core queries; the filter string is parsed by MLflow's own parser and compared
with MLflow's own SQL comparison functions, so the semantics match `search_runs`. Anything it
cannot translate (dataset filters, non-SQL stores) goes through `MlflowClient` (`client.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from workbench.core.errors import WorkbenchError
from workbench.tracking.queries.details import champion_runs, run_details
from workbench.tracking.queries.filters import FilterError, parse_filter
from workbench.tracking.queries.types import (
    DEFAULT_TAGS,
    Experiment,
    RunChanges,
    RunDetails,
    RunPage,
    RunRecord,
    RunSource,
    SortKey,
)

CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit

__all__ = [
    "DEFAULT_TAGS",
    "Experiment",
    "FilterError",
    "RunChanges",
    "RunDetails",
    "RunPage",
    "RunRecord",
    "RunSource",
    "SortKey",
    "champion_runs",
    "open_run_source",
    "parse_filter",
    "resolve_experiments",
    "run_details",
]


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def open_run_source(
    experiments: str | Sequence[str] | None = None, tracking_uri: str | None = None
) -> RunSource:
    """A run source over the named experiments (names or ids; None = every active one).

    SQL tracking stores at a schema revision workbench knows get the narrow SQL reader
    (workbench.core.mlflow_schema); any other store the MlflowClient one.
    """
    from workbench.core.mlflow_schema import check_reachable, sql_engine
    from workbench.core.settings import settings

    # the project's store, as `configure()` would set it, without importing mlflow (1 s or
    # more) on the SQL path: the first table needs only SQLAlchemy
    uri = tracking_uri or settings().tracking_uri
    check_reachable(uri)
    engine = sql_engine(uri)
    if engine is not None:
        from workbench.tracking.queries.sql import SqlRunSource

        return SqlRunSource(engine, uri, experiments)
    from workbench.tracking.config import configure
    from workbench.tracking.queries.client import ClientRunSource

    configure()

    return ClientRunSource(uri, experiments)


def resolve_experiments(
    wanted: str | Sequence[str] | None, available: Sequence[Experiment]
) -> list[Experiment]:
    """Match names (or ids) against the active experiments; unknown ones are a user error."""
    if wanted is None:
        return sorted(
            available, key=lambda e: int(e.experiment_id) if e.experiment_id.isdigit() else 0
        )
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    by_name = {e.name: e for e in available}
    by_id = {e.experiment_id: e for e in available}
    found: list[Experiment] = []
    for name in names:
        exp = by_name.get(name) or by_id.get(str(name))
        if exp is None:
            known = ", ".join(sorted(by_name)) or "(none)"
            raise WorkbenchError(f"experiment {name!r}: no such active experiment (known: {known})")
        if exp not in found:
            found.append(exp)
    return found
