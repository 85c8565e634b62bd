"""What the comparison view shows, without any widget: loaded runs, summaries, table, charts.

`CompareState` owns the queries: it loads the top `max_runs` runs for the filter (sorted in
SQL), summarises metrics only when asked for best/at-step values, re-sorts in memory when every
matching run is loaded (and in SQL otherwise), and refreshes by fetching only changed runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.tracking.queries.types import RunRecord, RunSource, SortKey
from workbench.widgets import figures
from workbench.widgets.table import (
    Row,
    Summary,
    TableModel,
    build_rows,
    build_table,
    direction,
    parse_column,
    sort_rows,
    summarise,
)
from workbench.widgets.table_html import render_table_html


@dataclass(frozen=True)
class StudyInfo:
    """The parts of a tuning study the views use (see workbench.tuning.summarize_study)."""

    name: str
    direction: str
    metric: str
    numbers: list[int]
    values: list[float]
    best_so_far: list[float]
    importances: dict[str, float]


class CompareState:
    def __init__(
        self,
        source: RunSource,
        *,
        metric: str | None = None,
        filter_string: str = "",
        base_filter: str = "",
        run_ids: Sequence[str] | None = None,
        max_runs: int = 2000,
        page_size: int = 100,
        directions: dict[str, str] | None = None,
        base_url: str = "http://127.0.0.1:5000",
        study: StudyInfo | None = None,
        champions: Any = None,
    ) -> None:
        if max_runs < 1:
            raise WorkbenchError(f"max_runs {max_runs}: must be at least 1")
        self.source = source
        self.max_runs = max_runs
        self.page_size = page_size
        self.directions = dict(directions or {})
        self.base_url = base_url
        self.study = study
        if study is not None:
            self.directions.setdefault(study.metric, study.direction)
        self._champions_fn = champions
        self.run_ids = list(run_ids) if run_ids else None
        self.filter_string = filter_string
        self.base_filter = base_filter  # terms the caller adds (a study's), not shown in the box
        self.params, self.metrics = source.keys()
        if metric is None:
            metric = study.metric if study and study.metric in self.metrics else None
            metric = metric or (self.metrics[0] if self.metrics else "")
        elif self.metrics and metric not in self.metrics:
            raise WorkbenchError(
                f"metric {metric!r}: not logged by these runs (metrics: {', '.join(self.metrics)})"
            )
        self.metric = metric
        self.summary: Summary = "last"
        self.step = 0
        self.sort = f"metrics.{metric}" if metric else "attributes.start_time"
        self.ascending = direction(metric, self.directions) == "min" if metric else False
        self.diff_only = False
        self.selected: list[str] = []  # ticked run ids, in the order they were ticked
        self.rejected_filter = ""  # a filter MLflow refused; the table is empty until it goes
        self.filter_error = ""
        self.axes: list[str] | None = None  # parallel-coordinates axes; None = the default
        self.page = 0
        self.records: list[RunRecord] = []
        self.total = 0
        self.champions: dict[str, list[str]] = {}
        self._values: dict[str, dict[str, float]] | None = None
        self._rows: list[Row] | None = None
        self._sorted: tuple[tuple[str, bool], list[Row]] | None = None
        self._watermark = 0
        self.load()

    # ---- loading -------------------------------------------------------------------------
    def _effective_filter(self) -> str:
        terms = [t.strip() for t in (self.base_filter, self.filter_string) if t.strip()]
        if self.run_ids:
            quoted = ", ".join(f"'{r}'" for r in self.run_ids)
            terms.append(f"attributes.run_id IN ({quoted})")
        return " AND ".join(terms)

    def _server_order(self) -> SortKey | None:
        column = parse_column(self.sort)
        if column.kind == "attribute":
            key = {"run": "run_name"}.get(column.key, column.key)
            return SortKey("attribute", key, self.ascending)
        return SortKey(column.kind, column.key, self.ascending)

    def load(self) -> None:
        """(Re)load the top `max_runs` matching runs, sorted by the current column in SQL."""
        page = self.source.search(self._effective_filter(), self._server_order(), self.max_runs)
        self.records, self.total = page.records, page.total
        self._columns_from_records()
        self._watermark = page.fetched_at_ms
        self._invalidate()
        self.page = 0
        self.rejected_filter = self.filter_error = ""
        self.selected = [r for r in self.selected if r in {x.run_id for x in self.records}]
        self._load_champions()

    def _columns_from_records(self) -> None:
        """Columns are the params and metrics of the loaded runs, not of the whole store:
        a study's parent run or another experiment's settings would only add empty columns."""
        if not self.records:
            return
        params = {k for r in self.records for k in r.params}
        metrics = {k for r in self.records for k in r.metrics}
        self.params = sorted(params)
        self.metrics = sorted(metrics | ({self.metric} if self.metric else set()))

    def _load_champions(self) -> None:
        if self._champions_fn is None:
            from workbench.tracking.queries import champion_runs

            self._champions_fn = champion_runs
        self.champions = self._champions_fn([r.run_id for r in self.records])
        self._rows = self._sorted = None

    def _invalidate(self) -> None:
        """Records or summaries changed: derived rows are rebuilt on next use, once."""
        self._values = None
        self._rows = None
        self._sorted = None

    @property
    def complete(self) -> bool:
        """Every matching run is loaded, so sorting in memory is exact."""
        return len(self.records) >= self.total

    def refresh(self) -> int:
        """Fetch only runs changed since the last load; return how many rows changed."""
        running = [r.run_id for r in self.records if r.status in ("RUNNING", "SCHEDULED")]
        changes = self.source.changed_since(self._effective_filter(), self._watermark, running)
        self._watermark = changes.fetched_at_ms
        by_id = {r.run_id: r for r in self.records if r.run_id not in changes.removed}
        new = sum(1 for r in changes.records if r.run_id not in by_id)
        by_id.update({r.run_id: r for r in changes.records})
        self.total = max(
            0, self.total + new - len(changes.removed & {r.run_id for r in self.records})
        )
        self.records = list(by_id.values())
        self._invalidate()
        if len(self.records) > self.max_runs:  # keep the top max_runs by the current order
            self.records = self._trim(self.records)
        self._columns_from_records()
        self.rejected_filter = self.filter_error = ""  # the table shows the last good filter
        if changes.records or changes.removed:
            self.selected = [r for r in self.selected if r not in changes.removed]
            self._load_champions()
        return len(changes.records) + len(changes.removed)

    def _trim(self, records: list[RunRecord]) -> list[RunRecord]:
        rows = {r.run_id: r for r in records}
        ordered = sort_rows(
            build_rows(records, self.values_for(records)), parse_column(self.sort), self.ascending
        )
        return [rows[r.run_id] for r in ordered[: self.max_runs]]

    # ---- controls ----------------------------------------------------------------------------
    def set_filter(self, filter_string: str) -> None:
        """Load the runs matching a new filter. A refused filter empties the table and says why
        (old rows under a new filter would look like its answer), but is not kept: the last
        good filter stays the state's, so Refresh and the other controls work on."""
        old = self.filter_string
        self.filter_string = filter_string
        try:
            self.load()
        except WorkbenchError as exc:
            self.filter_string = old
            self.rejected_filter, self.filter_error = filter_string, str(exc)
            raise

    def notices(self) -> list[str]:
        """Names the user typed that no run has: a misspelt metric is not silently 0 runs."""
        out = []
        if self.metric and self.records and not any(self.metric in r.metrics for r in self.records):
            out.append(f"metric {self.metric!r}: no loaded run has logged it")
        if self.filter_string.strip() and not self.records:
            from workbench.tracking.queries.filters import check_terms

            known = {"metric": set(self.metrics), "parameter": set(self.params)}
            for term in check_terms(self.filter_string):
                names = known.get(term.kind)
                if names is not None and term.key not in names:
                    word = "metrics" if term.kind == "metric" else "params"
                    out.append(
                        f"filter: no run in these experiments has {word}.{term.key}, "
                        "so no run can match"
                    )
        return out

    def set_metric(self, metric: str) -> None:
        if metric not in self.metrics:
            raise WorkbenchError(f"metric {metric!r}: not one of {', '.join(self.metrics)}")
        self.metric = metric
        self.set_sort(f"metrics.{metric}", direction(metric, self.directions) == "min")

    def set_sort(self, sort: str, ascending: bool) -> None:
        parse_column(sort)
        old = self.sort, self.ascending, self.page
        self.sort, self.ascending = sort, ascending
        self.page = 0
        if not self.complete and (self.summary == "last" or not sort.startswith("metrics.")):
            try:
                self.load()  # the top N by another column is a different set of runs
            except WorkbenchError:
                self.sort, self.ascending, self.page = old  # keep the last good state
                raise

    def set_summary(self, summary: Summary, step: int | None = None) -> None:
        if summary not in ("last", "best", "step"):
            raise WorkbenchError(f"summary {summary!r}: use 'last', 'best' or 'step'")
        self.summary = summary
        if step is not None:
            self.step = step
        self._invalidate()

    # ---- derived data ----------------------------------------------------------------------
    def values_for(self, records: Sequence[RunRecord]) -> dict[str, dict[str, float]]:
        ids = [r.run_id for r in records]
        if self.summary == "best":
            return summarise(
                records,
                "best",
                extremes=self.source.metric_extremes(ids, self.metrics),
                directions=self.directions,
            )
        if self.summary == "step":
            return summarise(
                records, "step", at_step=self.source.metrics_at_step(ids, self.metrics, self.step)
            )
        return summarise(records, "last")

    def values(self) -> dict[str, dict[str, float]]:
        if self._values is None:
            self._values = self.values_for(self.records)
        return self._values

    def rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = build_rows(self.records, self.values(), self.champions)
        return self._rows

    def sorted_rows(self) -> list[Row]:
        key = (self.sort, self.ascending)
        if self._sorted is None or self._sorted[0] != key:
            self._sorted = (key, sort_rows(self.rows(), parse_column(self.sort), self.ascending))
        return self._sorted[1]

    def table(self) -> TableModel:
        return build_table(
            [] if self.filter_error else self.sorted_rows(),
            params=self.params,
            metrics=self.metrics,
            metric=self.metric,
            summary=self.summary if self.summary != "step" else f"step {self.step}",
            sort=self.sort,
            ascending=self.ascending,
            diff_only=self.diff_only,
            page=self.page,
            page_size=self.page_size,
            presorted=True,
            selected=self.selected,
            message=self.filter_error,
        )

    def table_html(self) -> str:
        return render_table_html(self.table(), self.base_url)

    def names(self) -> dict[str, str]:
        return {r.run_id: r.name for r in self.records}

    def scatter(self, param: str | None) -> figures.Figure:
        return figures.scatter_figure(self.rows(), self.metric, param)

    def default_axes(self, limit: int = 6) -> list[str]:
        """The metric and the params that vary most (most distinct present values), as axes
        ids ("params.C", "metrics.acc"): 23 axes are unreadable, so a few, and a choice."""
        rows = self.rows()
        spread = {p: len({r.params[p] for r in rows if p in r.params}) for p in self.params}
        varying = sorted((p for p in self.params if spread[p] > 1), key=lambda p: -spread[p])
        return [f"params.{p}" for p in varying[: limit - 1]] + (
            [f"metrics.{self.metric}"] if self.metric else []
        )

    def axis_options(self) -> list[str]:
        return [*(f"params.{p}" for p in self.params), *(f"metrics.{m}" for m in self.metrics)]

    def parallel(self) -> figures.Figure:
        options = set(self.axis_options())
        axes = [a for a in (self.axes or []) if a in options] or self.default_axes()
        params = [a.partition(".")[2] for a in axes if a.startswith("params.")]
        metrics = [a.partition(".")[2] for a in axes if a.startswith("metrics.")]
        return figures.parallel_figure(self.rows(), params, metrics, self.metric)

    def history(self, run_ids: Sequence[str]) -> figures.Figure:
        histories = self.source.metric_history(list(run_ids), self.metric) if run_ids else {}
        return figures.history_figure(histories, self.names(), self.metric)

    def study_figures(self) -> tuple[figures.Figure, figures.Figure] | None:
        if self.study is None:
            return None
        s = self.study
        return (
            figures.optimisation_figure(s.numbers, s.values, s.best_so_far, s.metric),
            figures.importance_figure(s.importances),
        )
