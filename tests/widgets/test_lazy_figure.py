"""A chart's synced state holds the whole figure after every draw, not only the edit messages.

plotly's front-end model does not fold edit messages into its state, so a view created after a
draw (a slow bundle load, a tab drawn later, the view displayed again) renders only the traits
`_widget_data` and `_widget_layout`; the browser test once caught the empty figure this left.
"""

from __future__ import annotations

from workbench.widgets.lazy_figure import LazyFigure


def _spec(title: str, ys: list[float], kind: str = "scatter") -> dict:
    return {
        "data": [{"type": kind, "x": list(range(len(ys))), "y": ys, "name": "t"}],
        "layout": {"title": {"text": title}},
    }


def _synced(slot: LazyFigure) -> tuple[str, list[list[float]], list[str]]:
    """What a view created now would draw: the synced traits, as the front end receives them."""
    fig = slot.figure
    layout = fig._widget_layout
    data = fig._widget_data
    return layout["title"]["text"], [list(t["y"]) for t in data], [t["type"] for t in data]


def test_first_draw_is_in_the_synced_state() -> None:
    slot = LazyFigure()
    slot.show(_spec("optimisation history", [0.9, 0.95]))
    assert _synced(slot) == ("optimisation history", [[0.9, 0.95]], ["scatter"])


def test_restyle_in_place_and_replacement_both_reach_the_synced_state() -> None:
    slot = LazyFigure()
    slot.show(_spec("acc vs C", [1.0, 2.0]))
    first = slot.figure
    slot.show(_spec("log_loss vs C", [3.0, 4.0, 5.0]))  # same kind: restyled in place
    assert slot.figure is first
    assert _synced(slot) == ("log_loss vs C", [[3.0, 4.0, 5.0]], ["scatter"])
    slot.show(_spec("importances", [0.2], kind="bar"))  # another kind: traces replaced
    assert _synced(slot) == ("importances", [[0.2]], ["bar"])
