"""The runs table as pure data: records -> summarised values -> sorted page (`TableModel`).

No widgets and no MLflow here, so the logic is tested directly; `table_html` turns the model
into the HTML both the live widget and an executed notebook's static output show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from workbench.tracking.queries.types import RunRecord

Summary = Literal["last", "best", "step"]
ColumnKind = Literal["attribute", "param", "metric"]
# metric names that are better when smaller (anything else is better when larger)
LOWER_IS_BETTER = ("loss", "error", "rmse", "mse", "mae", "mape", "perplexity", "latency")
ATTRIBUTES = ("run", "status", "start_time")
PARENT_TAG = "mlflow.parentRunId"  # MLflow's nesting tag: lineage steps and tuning trials


@dataclass(frozen=True)
class Column:
    kind: ColumnKind
    key: str

    @property
    def id(self) -> str:
        """The sort-control value, in MLflow's order_by spelling (metrics.x, params.x)."""
        prefix = {"attribute": "attributes", "param": "params", "metric": "metrics"}[self.kind]
        return f"{prefix}.{self.key}"


@dataclass(frozen=True)
class Row:
    run_id: str
    experiment_id: str
    name: str
    status: str
    start_time: int
    params: dict[str, str]
    values: dict[str, float]  # summarised metric values
    champion_of: tuple[str, ...] = ()
    parent_id: str = ""  # mlflow.parentRunId: a pipeline step's or a trial's parent run


@dataclass(frozen=True)
class TableModel:
    columns: list[Column]
    rows: list[Row]  # the current page only
    differing: frozenset[str]  # param keys with two different present values on the page
    metric: str
    summary: str
    sort: str
    ascending: bool
    total: int  # rows across all pages
    page: int
    pages: int
    extra: dict[str, str] = field(default_factory=dict)  # shown under the table
    selected: frozenset[str] = frozenset()  # run ids whose checkbox is ticked
    names: dict[str, str] = field(default_factory=dict)  # run id -> name, for lineage links
    children: dict[str, list[str]] = field(default_factory=dict)  # parent id -> child ids
    message: str = ""  # why the table is empty (a refused filter), shown in its place


def direction(metric: str, overrides: Mapping[str, str] | None = None) -> str:
    """'max' or 'min': explicit overrides first, then the metric's name."""
    if overrides and metric in overrides:
        value = overrides[metric].lower()
        return "min" if value.startswith("min") else "max"
    lower = metric.lower()
    return "min" if any(word in lower for word in LOWER_IS_BETTER) else "max"


def summarise(
    records: Sequence[RunRecord],
    summary: Summary,
    *,
    extremes: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    at_step: Mapping[str, Mapping[str, float]] | None = None,
    directions: Mapping[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    """run id -> metric -> the value shown: the last, the best (per direction), or at a step."""
    if summary == "last":
        return {r.run_id: r.metrics for r in records}
    if summary == "step":
        return {r.run_id: dict((at_step or {}).get(r.run_id, {})) for r in records}
    out: dict[str, dict[str, float]] = {}
    for r in records:
        values: dict[str, float] = {}
        for key, (low, high) in (extremes or {}).get(r.run_id, {}).items():
            values[key] = low if direction(key, directions) == "min" else high
        out[r.run_id] = values
    return out


def differing_params(rows: Sequence[Row], keys: Sequence[str]) -> frozenset[str]:
    """Params with two different values among the rows that have one: a run that never set a
    parameter (another model family, an older notebook) is missing it, not different."""
    return frozenset(k for k in keys if len({r.params[k] for r in rows if k in r.params}) > 1)


def _sort_value(row: Row, column: Column) -> tuple[int, float | str]:
    """(missing?, value): missing values sort last in either direction."""
    if column.kind == "metric":
        v = row.values.get(column.key)
        return (1, 0.0) if v is None or math.isnan(v) else (0, v)
    if column.kind == "param":
        raw = row.params.get(column.key)
        if raw is None:
            return (1, "")
        try:  # numbers as numbers, so "10" sorts after "9"
            return (0, float(raw))
        except ValueError:
            return (0, raw)
    if column.key == "start_time":
        return (0, float(row.start_time))
    return (0, row.name if column.key == "run" else row.status)


def sort_rows(rows: Sequence[Row], column: Column, ascending: bool) -> list[Row]:
    present = [r for r in rows if _sort_value(r, column)[0] == 0]
    missing = [r for r in rows if _sort_value(r, column)[0] == 1]
    try:
        present.sort(key=lambda r: _sort_value(r, column)[1], reverse=not ascending)
    except TypeError:  # numbers and text in one param column: compare as text
        present.sort(key=lambda r: str(_sort_value(r, column)[1]), reverse=not ascending)
    return present + missing


def build_rows(
    records: Sequence[RunRecord],
    values: Mapping[str, Mapping[str, float]],
    champions: Mapping[str, Sequence[str]] | None = None,
) -> list[Row]:
    """One pass over the records."""
    champions = champions or {}
    return [
        Row(
            run_id=r.run_id,
            experiment_id=r.experiment_id,
            name=r.name,
            status=r.status,
            start_time=r.start_time,
            params=r.params,
            values=dict(values.get(r.run_id, {})),
            champion_of=tuple(champions.get(r.run_id, ())),
            parent_id=r.tags.get(PARENT_TAG, ""),
        )
        for r in records
    ]


def parse_column(column_id: str) -> Column:
    prefix, _, key = column_id.partition(".")
    kind = {"attributes": "attribute", "params": "param", "metrics": "metric"}.get(prefix)
    if kind is None or not key:
        raise ValueError(f"sort column {column_id!r}: expected metrics.X, params.X or attributes.X")
    return Column(kind, key)  # type: ignore[arg-type]


def build_table(
    rows: Sequence[Row],
    *,
    params: Sequence[str],
    metrics: Sequence[str],
    metric: str,
    summary: str = "last",
    sort: str | None = None,
    ascending: bool = False,
    diff_only: bool = False,
    page: int = 0,
    page_size: int = 100,
    presorted: bool = False,
    selected: Sequence[str] = (),
    message: str = "",
) -> TableModel:
    """Sort, page, and decide which param columns show and which differ on the page.

    Columns: the run, the chosen metric, the other metrics, then the params, then status and
    start time: what a reader compares first is at the left edge, not 2,700 px to the right.
    """
    sort = sort or f"metrics.{metric}"
    ordered = list(rows) if presorted else sort_rows(rows, parse_column(sort), ascending)
    pages = max(1, math.ceil(len(ordered) / page_size))
    page = min(max(page, 0), pages - 1)
    shown = ordered[page * page_size : (page + 1) * page_size]
    differing = differing_params(shown, params)
    param_cols = [p for p in params if p in differing] if diff_only else list(params)
    # the chosen metric first, then the others
    metric_cols = [metric, *[m for m in metrics if m != metric]] if metric else list(metrics)
    columns = [
        Column("attribute", "run"),
        *(Column("metric", m) for m in metric_cols),
        *(Column("param", p) for p in param_cols),
        *(Column("attribute", a) for a in ATTRIBUTES if a != "run"),
    ]
    children: dict[str, list[str]] = {}
    for row in ordered:
        if row.parent_id:
            children.setdefault(row.parent_id, []).append(row.run_id)
    return TableModel(
        columns=columns,
        rows=shown,
        differing=differing,
        metric=metric,
        summary=summary,
        sort=sort,
        ascending=ascending,
        total=len(ordered),
        page=page,
        pages=pages,
        selected=frozenset(selected),
        names={r.run_id: r.name for r in ordered},
        children=children,
        message=message,
    )
