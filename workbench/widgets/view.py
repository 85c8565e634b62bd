"""The ipywidgets view over a `CompareState`: controls, the runs table, charts, diff, actions.

Every control handler changes the state and redraws from it; the view holds no data of its
own, so a test sets a control's value (what a click does on the kernel side) and reads the
table HTML and the FigureWidgets' data back.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from workbench.core.errors import WorkbenchError
from workbench.widgets.diff import MAX_RUNS, MIN_RUNS, diff_html, selection_hint
from workbench.widgets.state import CompareState
from workbench.widgets.table import direction, render_table_html

RegisterFn = Callable[[str, str], str]  # (run_id, model name) -> version
PromoteFn = Callable[..., Any]  # workbench.tracking.promotion.promote's signature
DetailsFn = Callable[[str], Any]


CHARTS = ("scatter", "parallel", "history")


def _set_figure(fig: Any, spec: dict[str, Any]) -> None:
    """Show `spec` in a FigureWidget: restyle traces in place when their kinds are unchanged
    (one message, no re-validation of the template), else replace them."""
    data = spec["data"]
    same = len(fig.data) == len(data) and all(
        t.type == d["type"] for t, d in zip(fig.data, data, strict=True)
    )
    if same and data:
        with fig.batch_update():
            for trace, new in zip(fig.data, data, strict=True):
                trace.update(new, overwrite=True)
            fig.layout.update(spec["layout"], overwrite=True)
        return
    with fig.batch_update():
        fig.data = ()
        fig.layout = spec["layout"]
    fig.add_traces(data)


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
    ) -> None:
        self.state = state
        self._register = register
        self._promote = promote
        self._details = details
        self._promote_data = promote_data
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
            value=s.diff_only, description="differences only", indent=False
        )
        self.prev_button = W.Button(description="◀", layout={"width": "40px"})
        self.next_button = W.Button(description="▶", layout={"width": "40px"})
        self.page_label = W.Label()
        self.refresh_button = W.Button(description="Refresh", icon="refresh")
        self.status = W.HTML()
        self.table = W.HTML()
        self.table.add_class("wb-table")
        self.selection = W.SelectMultiple(description="Select", rows=6, layout={"width": "420px"})
        self.scatter_param = W.Dropdown(
            options=s.params, value=s.params[0] if s.params else None, description="Against"
        )
        # plotly (and, through it, nbformat and jsonschema) loads when a chart is first drawn,
        # not for the first table: each chart tab holds an empty box until then
        self._figures: dict[str, Any] = {}
        self._slots = {name: W.Box() for name in CHARTS}
        self._live = False  # shown or a tab clicked: charts may be drawn from now on
        self.diff = W.HTML("<p>Select 2 to 4 runs to compare them.</p>")
        self.model_name = W.Text(
            value=model_name, description="Model", placeholder="registered model name"
        )
        self.promote_button = W.Button(description="Register & promote", button_style="primary")
        self.action_output = W.HTML()
        tabs = [
            ("Metric vs parameter", W.VBox([self.scatter_param, self._slots["scatter"]])),
            ("Parallel coordinates", self._slots["parallel"]),
            ("History", self._slots["history"]),
            ("Diff", self.diff),
            (
                "Register & promote",
                W.VBox([self.model_name, self.promote_button, self.action_output]),
            ),
        ]
        self.study_figs: tuple[Any, Any] | None = None
        if s.study is not None:  # the study's charts are its first tab: drawn at once
            import plotly.graph_objects as go

            self.study_figs = (go.FigureWidget(), go.FigureWidget())
            tabs.insert(0, ("Study", W.HBox(list(self.study_figs))))
        self.tabs = W.Tab(children=[t[1] for t in tabs], titles=[t[0] for t in tabs])
        # charts are drawn when their tab is shown: thousands of points cost real time
        offset = 1 if s.study is not None else 0  # the study tab comes first
        self._chart_tabs = {i + offset: n for i, n in enumerate(CHARTS)}
        self._stale: set[str] = set()
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
                self.table,
                self.selection,
                self.tabs,
            ]
        )
        self.add_class("wb-compare")
        self._wire()
        self.redraw()
        if self.study_figs is not None:
            study = s.study_figures()
            assert study is not None
            _set_figure(self.study_figs[0], study[0])
            _set_figure(self.study_figs[1], study[1])

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
        """Run a control's action; a user mistake becomes a message, not a traceback."""
        self.status.value = ""
        try:
            action()
        except WorkbenchError as exc:
            self.status.value = (
                f'<span class="wb-error" style="color:#c92a2a">{html.escape(str(exc))}</span>'
            )
            return
        self.redraw()

    def _wire(self) -> None:
        s = self.state
        self._syncing = False

        def on(control: Any, action: Callable[[Any], None]) -> None:
            control.observe(
                lambda ch: None if self._syncing else self._guard(lambda: action(ch["new"])),
                "value",
            )

        on(self.metric_control, lambda v: s.set_metric(v))
        on(self.summary_control, lambda v: s.set_summary(v))
        on(self.step_control, lambda v: s.set_summary(s.summary, v))
        on(self.filter_control, lambda v: s.set_filter(v))
        on(self.sort_control, lambda v: s.set_sort(v, s.ascending))
        on(self.ascending_control, lambda v: s.set_sort(s.sort, v))
        on(self.diff_only_control, lambda v: setattr(s, "diff_only", v))
        self.selection.observe(lambda _: self._selection_changed(), "value")
        self.scatter_param.observe(lambda _: self._draw("scatter"), "value")
        self.tabs.observe(lambda _: self._show_charts(), "selected_index")
        self.prev_button.on_click(lambda _: self._guard(lambda: setattr(s, "page", s.page - 1)))
        self.next_button.on_click(lambda _: self._guard(lambda: setattr(s, "page", s.page + 1)))
        self.refresh_button.on_click(lambda _: self._guard(lambda: self._refresh()))
        self.promote_button.on_click(lambda _: self.register_and_promote())

    def _refresh(self) -> None:
        changed = self.state.refresh()
        self.status.value = f"{changed} runs changed"

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
            self.metric_control.value = s.metric or None
            self.sort_control.value = s.sort
            self.ascending_control.value = s.ascending
            self.filter_control.value = s.filter_string
        finally:
            self._syncing = False
        model = s.table()
        s.page = model.page
        self.table.value = render_table_html(model, s.base_url)
        self.page_label.value = f"page {model.page + 1} / {model.pages} · {s.total} runs"
        shown = {row.run_id for row in model.rows}
        selected = [r for r in self.selection.value if r in shown]
        self.selection.options = [
            (f"{row.name} ({row.run_id[:8]})", row.run_id) for row in model.rows
        ]
        self.selection.value = tuple(selected)
        self._stale = {"scatter", "parallel", "history"}
        self._draw_visible()

    # ---- charts: built when their tab is open and the view is on screen ---------------------
    def _visible_chart(self) -> str | None:
        index = self.tabs.selected_index
        return self._chart_tabs.get(index) if index is not None else None

    def _draw_visible(self) -> None:
        name = self._visible_chart()
        if self._live and name in self._stale:
            self._draw(name)

    def _show_charts(self) -> None:
        self._live = True
        self._draw_visible()

    def _figure(self, name: str) -> Any:
        """The chart's FigureWidget, created (and plotly imported) on first use."""
        if name not in self._figures:
            import plotly.graph_objects as go

            self._figures[name] = go.FigureWidget()
            self._slots[name].children = (self._figures[name],)
        return self._figures[name]

    def _chart(self, name: str) -> Any:
        """A chart as a reader sees it: the open tab's chart is drawn first if stale."""
        if name in self._stale and self._visible_chart() == name:
            self._draw(name)
        return self._figure(name)

    scatter_fig = property(lambda self: self._chart("scatter"))
    parallel_fig = property(lambda self: self._chart("parallel"))
    history_fig = property(lambda self: self._chart("history"))

    def _draw(self, name: str) -> None:
        """Redraw one chart from the state now."""
        s = self.state
        if name == "scatter":
            spec = s.scatter(self.scatter_param.value)
        elif name == "parallel":
            spec = s.parallel()
        else:
            spec = s.history(self.selection.value)
        _set_figure(self._figure(name), spec)
        self._stale.discard(name)

    def _selection_changed(self) -> None:
        ids = list(self.selection.value)
        self._stale.add("history")
        self._draw_visible()
        if MIN_RUNS <= len(ids) <= MAX_RUNS:
            if self._details is None:
                from workbench.tracking.queries import run_details

                self._details = run_details
            self.diff.value = diff_html([self._details(r) for r in ids])
        else:
            self.diff.value = selection_hint(len(ids))

    # ---- actions ------------------------------------------------------------------------------
    def register_and_promote(self) -> Any:
        """Register the one selected run's model, then ask the promotion gate; show the result."""
        ids = list(self.selection.value)
        try:
            if len(ids) != 1:
                raise WorkbenchError(f"select exactly one run to register (selected: {len(ids)})")
            name = self.model_name.value.strip()
            if not name:
                raise WorkbenchError("model name: type the registered model's name first")
            register = self._register
            if register is None:
                from workbench.tracking.queries.registry import register_run_model

                register = register_run_model
            version = register(ids[0], name)
            if self._promote_data is None:
                self.action_output.value = (
                    f"Registered <b>{html.escape(name)}</b> version {html.escape(str(version))}. "
                    "Pass <code>promote_data=(X_test, y_test)</code> to compare() to promote it."
                )
                return None
            promote = self._promote
            if promote is None:
                from workbench.tracking.promotion import promote as gate

                promote = gate
            X, y = self._promote_data
            metric = self.state.metric
            decision = promote(
                name,
                version,
                metric=metric,
                X=X,
                y=y,
                greater_is_better=direction(metric, self.state.directions) == "max",
            )
        except WorkbenchError as exc:
            self.action_output.value = (
                f'<span class="wb-error" style="color:#c92a2a">{html.escape(str(exc))}</span>'
            )
            return None
        shown = (
            decision._repr_html_()
            if hasattr(decision, "_repr_html_")
            else f"<pre>{html.escape(str(decision))}</pre>"
        )
        self.action_output.value = (
            f"Registered {html.escape(name)} v{html.escape(str(version))}.<br>{shown}"
        )
        self.state.load()  # the champion mark may have moved
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
        # the open tab's chart follows the table: in a kernel, once this cell's output is out
        try:
            asyncio.get_running_loop().call_soon(self._show_charts)
        except RuntimeError:  # no event loop (a script): draw now
            self._show_charts()
        return bundle
