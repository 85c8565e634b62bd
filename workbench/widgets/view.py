"""The ipywidgets view over a `CompareState`: controls, the runs table, charts, diff, actions.

Every control handler changes the state and redraws from it; the view holds no data of its
own, so a test sets a control's value or a table trait (what a click does on the kernel side)
and reads the table HTML and the FigureWidgets' data back. Charts are built when their tab
opens, and the first one only once the front end reports the table shown (`show_charts`), so
plotly.js never delays the table.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from workbench.core.errors import WorkbenchError
from workbench.tracking.queries.types import RunDetails
from workbench.widgets.diff import MAX_RUNS, MIN_RUNS, diff_html, selection_hint
from workbench.widgets.lazy_figure import LazyFigure
from workbench.widgets.promote_rail import FindFn, PromoteFn, PromoteRail, RegisterFn, error_html
from workbench.widgets.runs_table import RunsTable
from workbench.widgets.state import CompareState
from workbench.widgets.table import direction, parse_column
from workbench.widgets.table_html import render_table_html

DetailsFn = Callable[[str], RunDetails]
__all__ = ["CompareView", "DetailsFn", "FindFn", "PromoteFn", "RegisterFn"]


class CompareView(W.VBox):
    def __init__(
        self,
        state: CompareState,
        *,
        register: RegisterFn | None = None,
        promote: PromoteFn | None = None,
        details: DetailsFn | None = None,
        promote_data: tuple[Any, Any] | None = None,
        model_name: str = "",
        find: FindFn | None = None,
    ) -> None:
        self.state = state
        self._details = details
        self._details_cache: dict[str, RunDetails] = {}
        s = state
        self.metric_control = W.Dropdown(
            options=s.metrics, value=s.metric or None, description="Metric"
        )
        self.summary_control = W.ToggleButtons(
            options=[("last", "last"), ("best", "best"), ("at step", "step")],
            value=s.summary,
            description="Value",
            style={"button_width": "70px"},
        )
        self.step_control = W.BoundedIntText(
            value=s.step, min=0, max=10**9, description="Step", layout={"width": "160px"}
        )
        self.filter_control = W.Text(
            value=s.filter_string,
            placeholder="params.C = '1.0' and metrics.roc_auc > 0.9",
            description="Filter",
            continuous_update=False,
            layout={"width": "420px"},
        )
        self.sort_control = W.Dropdown(
            options=self._sort_options(), value=s.sort, description="Sort by"
        )
        self.ascending_control = W.Checkbox(
            value=s.ascending, description="ascending", indent=False
        )
        self.diff_only_control = W.Checkbox(
            value=s.diff_only, description="differing params only", indent=False
        )
        self.prev_button = W.Button(description="◀", layout={"width": "40px"})
        self.next_button = W.Button(description="▶", layout={"width": "40px"})
        self.page_label = W.Label()
        self.refresh_button = W.Button(description="Refresh", icon="refresh")
        self.status = W.HTML()
        self.notice = W.HTML()
        self.table = RunsTable(sort=s.sort, ascending=s.ascending)
        self.table.layout = W.Layout(width="100%")
        self.table.add_class("wb-table")
        self.scatter_param = W.Dropdown(
            options=s.params, value=s.params[0] if s.params else None, description="Against"
        )
        self.axes_control = W.SelectMultiple(
            options=s.axis_options(), value=tuple(s.default_axes()), description="Axes", rows=6
        )
        self.charts = {name: LazyFigure() for name in ("scatter", "parallel", "history")}
        self.diff_differences_only = W.Checkbox(
            value=False, description="differences only", indent=False
        )
        self.diff = W.HTML(selection_hint(0))
        self.rail = PromoteRail(
            model_name=model_name,
            promote_data=promote_data,
            register=register,
            promote=promote,
            find=find,
        )
        tabs: list[tuple[str, W.Widget, str | None]] = [
            (
                "Metric vs parameter",
                W.VBox([self.scatter_param, self.charts["scatter"]]),
                "scatter",
            ),
            (
                "Parallel coordinates",
                W.VBox([self.axes_control, self.charts["parallel"]]),
                "parallel",
            ),
            ("History", self.charts["history"], "history"),
            ("Diff", W.VBox([self.diff_differences_only, self.diff]), None),
            ("Register & promote", self.rail, None),
        ]
        if s.study is not None:
            self.charts["study"] = LazyFigure()
            self.charts["importance"] = LazyFigure()
            study_box = W.HBox([self.charts["study"], self.charts["importance"]])
            tabs.insert(0, ("Study", study_box, "study"))
        self.tabs = W.Tab(children=[t[1] for t in tabs], titles=[t[0] for t in tabs])
        self._chart_tabs = {i: t[2] for i, t in enumerate(tabs) if t[2]}
        self._charts_on = False  # set by the front end's first table render, or a tab click
        self._stale: set[str] = set(self.charts)
        super().__init__(
            [
                W.HBox([self.metric_control, self.summary_control, self.step_control]),
                W.HBox(
                    [
                        self.filter_control,
                        self.sort_control,
                        self.ascending_control,
                        self.diff_only_control,
                    ]
                ),
                W.HBox(
                    [
                        self.prev_button,
                        self.page_label,
                        self.next_button,
                        self.refresh_button,
                        self.status,
                    ]
                ),
                self.notice,
                self.table,
                self.tabs,
            ]
        )
        self.add_class("wb-compare")
        self._wire()
        self.redraw()
        if s.study is not None:
            # a study's view opens on its own charts: drawn now, as the widget is built (built
            # from the front end's "shown" message they stayed empty in the browser test)
            self._draw("study")

    # the names earlier versions (and their tests) used
    promote_button = property(lambda self: self.rail.button)
    model_name = property(lambda self: self.rail.model_name)
    action_output = property(lambda self: self.rail.output)
    scatter_fig = property(lambda self: self.charts["scatter"].figure)
    parallel_fig = property(lambda self: self.charts["parallel"].figure)
    history_fig = property(lambda self: self.charts["history"].figure)

    @property
    def study_figs(self) -> tuple[Any, Any] | None:
        """A study's optimisation-history and importance FigureWidgets (None without a study)."""
        if "study" not in self.charts:
            return None
        return self.charts["study"].figure, self.charts["importance"].figure

    def _sort_options(self) -> list[tuple[str, str]]:
        s = self.state
        return [
            *((f"metric: {m}", f"metrics.{m}") for m in s.metrics),
            *((f"param: {p}", f"params.{p}") for p in s.params),
            ("run name", "attributes.run"),
            ("status", "attributes.status"),
            ("start time", "attributes.start_time"),
        ]

    # ---- wiring -----------------------------------------------------------------------------
    def _guard(self, action: Callable[[], None]) -> None:
        """Run a control's action; a user mistake becomes a message, not a traceback. The view
        redraws either way: a refused filter empties the table and the message says why."""
        self.status.value = ""
        try:
            action()
        except WorkbenchError as exc:
            self.redraw()
            self.status.value = error_html(str(exc))
            return
        self.redraw()

    def _wire(self) -> None:
        s = self.state
        self._syncing = False

        def on(control: Any, action: Callable[[Any], None], trait: str = "value") -> None:
            control.observe(
                lambda ch: None if self._syncing else self._guard(lambda: action(ch["new"])),
                trait,
            )

        on(self.metric_control, lambda v: s.set_metric(v))
        on(self.summary_control, lambda v: s.set_summary(v))
        on(self.step_control, lambda v: s.set_summary(s.summary, v))
        on(self.filter_control, lambda v: s.set_filter(v))
        on(self.sort_control, lambda v: s.set_sort(v, s.ascending))
        on(self.ascending_control, lambda v: s.set_sort(s.sort, v))
        on(self.table, lambda v: s.set_sort(s.sort, v), "ascending")
        on(self.table, self._sort_clicked, "sort_request")
        on(self.diff_only_control, lambda v: setattr(s, "diff_only", v))
        self.table.observe(lambda ch: self._selection_changed(ch["new"]), "selected")
        self.table.on_msg(self._front_end_message)
        self.scatter_param.observe(lambda _: self._redraw_chart("scatter"), "value")
        self.axes_control.observe(lambda ch: self._axes_changed(ch["new"]), "value")
        self.diff_differences_only.observe(lambda _: self._show_diff(), "value")
        self.tabs.observe(lambda _: self.show_charts(), "selected_index")
        self.prev_button.on_click(lambda _: self._guard(lambda: setattr(s, "page", s.page - 1)))
        self.next_button.on_click(lambda _: self._guard(lambda: setattr(s, "page", s.page + 1)))
        self.refresh_button.on_click(lambda _: self._guard(lambda: self._refresh()))
        self.rail.button.on_click(lambda _: self.register_and_promote())

    def _sort_clicked(self, column_id: str) -> None:
        """A header click on a new column: a metric best first, anything else ascending."""
        if not column_id:
            return
        column = parse_column(column_id)
        ascending = (
            direction(column.key, self.state.directions) == "min"
            if column.kind == "metric"
            else column.key != "start_time"
        )
        self.state.set_sort(column_id, ascending)

    def _front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "shown":
            self.show_charts()

    def _refresh(self) -> None:
        changed = self.state.refresh()
        self.status.value = f"{changed} runs changed"

    def _axes_changed(self, axes: tuple[str, ...]) -> None:
        if not self._syncing:
            self.state.axes = list(axes)
            self._redraw_chart("parallel")

    # ---- drawing ------------------------------------------------------------------------------
    def redraw(self) -> None:
        s = self.state
        self._syncing = True  # reflect the state in controls without re-triggering actions
        try:
            # the loaded runs decide the columns: offer exactly those
            if tuple(self.metric_control.options) != tuple(s.metrics):
                self.metric_control.options = s.metrics
            options = self._sort_options()
            if tuple(self.sort_control.options) != tuple(options):
                self.sort_control.options = options
            if tuple(self.scatter_param.options) != tuple(s.params):
                current = self.scatter_param.value
                self.scatter_param.options = s.params
                self.scatter_param.value = (
                    current if current in s.params else (s.params[0] if s.params else None)
                )
            axes = s.axis_options()
            if tuple(self.axes_control.options) != tuple(axes):
                self.axes_control.options = axes
                chosen = [a for a in (s.axes or []) if a in axes] or s.default_axes()
                self.axes_control.value = tuple(chosen)
            self.metric_control.value = s.metric or None
            self.sort_control.value = s.sort
            self.ascending_control.value = s.ascending
            self.filter_control.value = s.rejected_filter or s.filter_string
            self.table.sort, self.table.ascending, self.table.sort_request = (
                s.sort,
                s.ascending,
                "",
            )
            self.table.selected = list(s.selected)
        finally:
            self._syncing = False
        model = s.table()
        s.page = model.page
        self.table.value = render_table_html(model, s.base_url)
        self.page_label.value = f"page {model.page + 1} / {model.pages} · {s.total} runs"
        self.notice.value = "".join(
            f'<div class="wb-notice" style="color:#a61e4d">{html.escape(n)}</div>'
            for n in s.notices()
        )
        self._stale |= {"scatter", "parallel", "history"}
        self._draw_visible()

    def show_charts(self) -> None:
        """Draw the open tab's chart (the front end calls this once the table is shown)."""
        self._charts_on = True
        self._draw_visible()

    def _draw_visible(self) -> None:
        index = self.tabs.selected_index
        name = self._chart_tabs.get(index) if index is not None else None
        if self._charts_on and name in self._stale:
            self._draw(name)

    def _redraw_chart(self, name: str) -> None:
        self._stale.add(name)
        self._draw_visible()

    def _draw(self, name: str) -> None:
        """Redraw one chart from the state now."""
        s = self.state
        if name == "scatter":
            self.charts["scatter"].show(s.scatter(self.scatter_param.value))
        elif name == "parallel":
            self.charts["parallel"].show(s.parallel())
        elif name == "history":
            self.charts["history"].show(s.history(s.selected))
        elif name == "study":
            figures = s.study_figures()
            assert figures is not None
            self.charts["study"].show(figures[0])
            self.charts["importance"].show(figures[1])
        self._stale.discard(name)

    def _selection_changed(self, ids: list[str]) -> None:
        if self._syncing:
            return
        loaded = {r.run_id for r in self.state.records}
        self.state.selected = [r for r in ids if r in loaded]
        self._redraw_chart("history")
        self._show_diff()

    def _show_diff(self) -> None:
        ids = self.state.selected
        if not MIN_RUNS <= len(ids) <= MAX_RUNS:
            self.diff.value = selection_hint(len(ids))
            return
        if self._details is None:
            from workbench.tracking.queries import run_details

            self._details = run_details
        for run_id in ids:
            if run_id not in self._details_cache:
                self._details_cache[run_id] = self._details(run_id)
        self.diff.value = diff_html(
            [self._details_cache[r] for r in ids],
            only_differences=self.diff_differences_only.value,
        )

    # ---- actions ------------------------------------------------------------------------------
    def register_and_promote(self) -> Any:
        """Register (or reuse) the ticked run's model and ask the promotion gate."""
        s = self.state
        metric = s.metric
        decision = self.rail.run(list(s.selected), metric, direction(metric, s.directions) == "max")
        if decision is not None:
            s.load()  # the champion mark may have moved
            self.redraw()
        return decision

    # ---- static representation -----------------------------------------------------------
    def to_html(self) -> str:
        """The table as static HTML, for notebooks opened without a kernel or nbconvert."""
        s = self.state
        note = f"<p style='font-size:12px'>workbench.compare: {s.total} runs; filter: <code>{html.escape(s.filter_string or '(none)')}</code></p>"
        return f'<div class="wb-compare-static">{note}{s.table_html()}</div>'

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/html"] = self.to_html()
        return bundle
