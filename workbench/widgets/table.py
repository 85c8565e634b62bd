"""The runs table as pure data: records -> summarised values -> sorted page -> HTML.

No widgets and no MLflow here, so the logic is tested directly and the same HTML serves the
live widget and the static representation an executed notebook keeps.
"""

from __future__ import annotations

import html
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
DIFF_STYLE = "background:#fff3bf"
CHAMPION_STYLE = "background:#e6fcf5"


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


@dataclass(frozen=True)
class TableModel:
    columns: list[Column]
    rows: list[Row]  # the current page only
    differing: frozenset[str]  # param keys whose values differ across the page's rows
    metric: str
    summary: str
    sort: str
    ascending: bool
    total: int  # rows across all pages
    page: int
    pages: int
    extra: dict[str, str] = field(default_factory=dict)  # shown under the table


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
    """Params whose value is not the same on every row (a missing value counts as a value)."""
    return frozenset(k for k in keys if len({r.params.get(k) for r in rows}) > 1)


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
    page_size: int = 50,
    presorted: bool = False,
) -> TableModel:
    """Sort, page, and decide which param columns show and which differ on the page."""
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
        *(Column("attribute", a) for a in ATTRIBUTES),
        *(Column("param", p) for p in param_cols),
        *(Column("metric", m) for m in metric_cols),
    ]
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
    )


def run_url(base_url: str, experiment_id: str, run_id: str) -> str:
    return f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def format_param(raw: str) -> str:
    """Long floats (0.0745934328572655, from a sampler) shortened for the table; text as is."""
    if len(raw) <= 8:
        return raw
    try:
        return f"{float(raw):.4g}"
    except ValueError:
        return raw


def format_value(value: float | None) -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "NaN"
    return f"{value:.4g}"


def render_table_html(model: TableModel, base_url: str = "http://127.0.0.1:5000") -> str:
    """A self-contained HTML table (inline styles: it must read well without any CSS)."""
    e = html.escape
    head = []
    for col in model.columns:
        label = col.key if col.kind != "attribute" else col.key.replace("_", " ")
        style = "text-align:left;padding:2px 6px;border-bottom:1px solid #999;white-space:nowrap"
        if col.kind == "param" and col.key in model.differing:
            style += ";" + DIFF_STYLE
        if col.id == model.sort:
            label += " ▲" if model.ascending else " ▼"
        kind = {"param": "param", "metric": "metric", "attribute": "attr"}[col.kind]
        head.append(
            f'<th class="wb-{kind}" data-column="{e(col.id)}" style="{style}">{e(label)}</th>'
        )
    body = []
    for row in model.rows:
        cells = []
        for col in model.columns:
            style = "padding:2px 6px;white-space:nowrap"
            css = ""
            if col.kind == "attribute":
                if col.key == "run":
                    badge = "".join(
                        f' <span class="wb-champion-badge" title="champion of {e(m)}">★ champion: {e(m)}</span>'
                        for m in row.champion_of
                    )
                    text = (
                        f'<a href="{e(run_url(base_url, row.experiment_id, row.run_id))}" '
                        f'target="_blank" title="{e(row.run_id)}">{e(row.name)}</a>{badge}'
                    )
                elif col.key == "status":
                    text = e(row.status)
                else:
                    text = e(_time(row.start_time))
            elif col.kind == "param":
                raw = row.params.get(col.key, "")
                short = format_param(raw)
                text = e(short) if short == raw else f'<span title="{e(raw)}">{e(short)}</span>'
                if col.key in model.differing:
                    css, style = ' class="wb-diff"', style + ";" + DIFF_STYLE
            else:
                text = e(format_value(row.values.get(col.key)))
                style += ";text-align:right;font-variant-numeric:tabular-nums"
                if col.key == model.metric:
                    style += ";font-weight:bold"
            cells.append(f'<td{css} style="{style}">{text}</td>')
        row_style = f' style="{CHAMPION_STYLE}"' if row.champion_of else ""
        row_class = "wb-row wb-champion" if row.champion_of else "wb-row"
        body.append(
            f'<tr class="{row_class}" data-run-id="{e(row.run_id)}"{row_style}>{"".join(cells)}</tr>'
        )
    caption = (
        f"{model.total} runs · {e(model.metric)} ({e(model.summary)}) · "
        f"page {model.page + 1} of {model.pages}"
    )
    return (
        '<div style="overflow-x:auto;max-width:100%">'
        f'<table class="wb-runs" data-metric="{e(model.metric)}" data-summary="{e(model.summary)}" '
        f'data-sort="{e(model.sort)}" style="border-collapse:collapse;font-size:12px">'
        f'<caption style="text-align:left;caption-side:top;padding:2px 6px">{caption}</caption>'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _time(ms: int) -> str:
    import datetime as dt

    if not ms:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")
