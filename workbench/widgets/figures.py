"""Chart data as plain plotly figure dicts ({"data": [...], "layout": {...}}), built from rows.

Pure functions: the view turns them into FigureWidgets, and tests assert on the dicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.widgets.table import Row

Figure = dict[str, Any]
HEIGHT = 340


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "height": HEIGHT,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        **extra,
    }


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def is_numeric_param(rows: Sequence[Row], key: str) -> bool:
    present = [r.params[key] for r in rows if key in r.params]
    return bool(present) and all(_number(v) is not None for v in present)


def scatter_figure(rows: Sequence[Row], metric: str, param: str | None) -> Figure:
    """The metric against one parameter, one point per run (numeric or categorical axis)."""
    if not param:
        return {"data": [], "layout": _layout(f"{metric}: no parameter to plot against")}
    points = [
        (r.params[param], r.values[metric], r.name)
        for r in rows
        if param in r.params and metric in r.values and not math.isnan(r.values[metric])
    ]
    numeric = is_numeric_param(rows, param)
    x: list[Any] = [_number(p[0]) if numeric else p[0] for p in points]
    positive = numeric and bool(x) and all(v is not None and v > 0 for v in x)
    spread = positive and len(x) > 1 and max(x) / min(x) >= 100
    trace = {
        "type": "scatter",
        "mode": "markers",
        "x": x,
        "y": [p[1] for p in points],
        "text": [p[2] for p in points],
        "marker": {"size": 8, "opacity": 0.7},
        "name": metric,
    }
    axis: dict[str, Any] = {"title": {"text": param}}
    if spread:
        axis["type"] = "log"
    if not numeric:
        axis["type"] = "category"
    return {
        "data": [trace],
        "layout": _layout(f"{metric} vs {param}", xaxis=axis, yaxis={"title": {"text": metric}}),
    }


def parallel_figure(
    rows: Sequence[Row], params: Sequence[str], metrics: Sequence[str], metric: str
) -> Figure:
    """Parallel coordinates: one axis per parameter and metric, lines coloured by the metric."""
    dims: list[dict[str, Any]] = []
    for key in params:
        if is_numeric_param(rows, key):
            values = [_number(r.params.get(key)) for r in rows]
            dims.append({"label": key, "values": [math.nan if v is None else v for v in values]})
        else:
            labels = sorted({r.params.get(key, "") for r in rows})
            index = {label: i for i, label in enumerate(labels)}
            dims.append(
                {
                    "label": key,
                    "values": [index[r.params.get(key, "")] for r in rows],
                    "tickvals": list(range(len(labels))),
                    "ticktext": labels,
                }
            )
    ordered = [*[m for m in metrics if m != metric], metric] if metric in metrics else list(metrics)
    for key in ordered:
        dims.append({"label": key, "values": [r.values.get(key, math.nan) for r in rows]})
    color = [r.values.get(metric, math.nan) for r in rows]
    trace = {
        "type": "parcoords",
        "dimensions": dims,
        "line": {"color": color, "colorscale": "Viridis", "showscale": True},
    }
    return {"data": [trace], "layout": _layout(f"parameters and metrics, coloured by {metric}")}


def history_figure(
    histories: Mapping[str, Sequence[tuple[int, float]]], names: Mapping[str, str], metric: str
) -> Figure:
    """One line per selected run: the metric's logged values by step."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [s for s, _ in points],
            "y": [v for _, v in points],
            "name": names.get(run_id, run_id[:8]),
        }
        for run_id, points in histories.items()
    ]
    title = f"{metric} by step" if data else f"{metric} by step: select runs to overlay"
    return {
        "data": data,
        "layout": _layout(
            title, xaxis={"title": {"text": "step"}}, yaxis={"title": {"text": metric}}
        ),
    }


def optimisation_figure(
    numbers: Sequence[int], values: Sequence[float], best: Sequence[float], metric: str
) -> Figure:
    """Each completed trial's value, and the best value so far."""
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": list(numbers),
            "y": list(values),
            "name": "trial",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": list(numbers),
            "y": list(best),
            "name": "best so far",
        },
    ]
    return {
        "data": data,
        "layout": _layout(
            "optimisation history",
            xaxis={"title": {"text": "trial"}},
            yaxis={"title": {"text": metric}},
        ),
    }


def importance_figure(importances: Mapping[str, float]) -> Figure:
    """Parameter importances as horizontal bars, the most important on top."""
    items = sorted(importances.items(), key=lambda kv: kv[1])
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": [v for _, v in items],
        "y": [k for k, _ in items],
        "name": "importance",
    }
    title = "parameter importances" if items else "parameter importances: need 2+ trials"
    return {"data": [trace], "layout": _layout(title, xaxis={"title": {"text": "importance"}})}
