"""A chart slot that creates its plotly FigureWidget only when it is first drawn.

Each FigureWidget carries plotly.js (about 5 MB) to the front end, and the notebook shows the
view only once every child widget's code has loaded: five eager charts made the first render
take seconds. A slot is an empty box until its tab opens; then it holds one FigureWidget that
later draws restyle in place.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import ipywidgets as W


def set_figure(fig: Any, spec: dict[str, Any]) -> None:
    """Show `spec` in a FigureWidget: restyle traces in place when their kinds are unchanged
    (one message, no re-validation of the template), else replace them; then publish the whole
    figure as the widget's synced state."""
    data = spec["data"]
    same = len(fig.data) == len(data) and all(
        t.type == d["type"] for t, d in zip(fig.data, data, strict=True)
    )
    if same and data:
        with fig.batch_update():
            for trace, new in zip(fig.data, data, strict=True):
                trace.update(new, overwrite=True)
            fig.layout.update(spec["layout"], overwrite=True)
    else:
        with fig.batch_update():
            fig.data = ()
            fig.layout = spec["layout"]
        fig.add_traces(data)
    _publish_state(fig)


def _publish_state(fig: Any) -> None:
    """Assign the figure's whole data and layout to the traits a front-end view is drawn from.

    plotly's anywidget model applies the edit messages above to a deserialised copy of its
    state, so only views that already exist see them; a view created after they arrived (the
    5 MB bundle still loading, a tab drawn later, the view shown again) drew the empty figure
    the widget was created with. plotly's own display path does the same full assignment.
    """
    fig._widget_layout = deepcopy(fig._layout_obj._props)
    fig._widget_data = deepcopy(fig._data)


class LazyFigure(W.Box):
    def __init__(self) -> None:
        super().__init__([])
        self.figure: Any = None  # a plotly FigureWidget once drawn

    def show(self, spec: dict[str, Any]) -> None:
        if self.figure is None:
            import plotly.graph_objects as go

            # created empty, then filled by messages: plotly's front-end model applies
            # add-traces and relayout messages to its state whether or not a view exists yet,
            # while data passed to the constructor did not reach a view created later
            self.figure = go.FigureWidget()
            self.children = (self.figure,)
        set_figure(self.figure, spec)
