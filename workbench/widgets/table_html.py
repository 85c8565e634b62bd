"""The runs table as self-contained HTML: a pure function of a `TableModel`.

The same HTML is the live widget's content (`runs_table.RunsTable` adds the clicks) and the
static output nbconvert and kernel-less viewers show. Inline styles only, so it reads well
without any CSS; the table scrolls inside its own box, with the header row and the run column
sticky, so the controls and charts around it never scroll sideways.
"""

from __future__ import annotations

import datetime as dt
import html
import math

from workbench.widgets.table import Column, Row, TableModel

DIFF_STYLE = "background:#fff3bf"
CHAMPION_STYLE = "background:#e6fcf5"
SCROLL_STYLE = "overflow:auto;max-width:100%;max-height:520px;border:1px solid #ddd"
CELL = "padding:2px 6px;white-space:nowrap"
# sticky cells need an opaque background or the scrolled cells show through
BACK = "background:var(--jp-layout-color0,#fff)"
STICKY_HEAD = f"position:sticky;top:0;z-index:2;{BACK}"
STICKY_RUN = "position:sticky;left:0;z-index:1"
e = html.escape


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


def _time(ms: int) -> str:
    if not ms:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")


def _header(model: TableModel, col: Column) -> str:
    label = col.key if col.kind != "attribute" else col.key.replace("_", " ")
    style = f"text-align:left;{CELL};border-bottom:1px solid #999;cursor:pointer;{STICKY_HEAD}"
    if col.kind == "param" and col.key in model.differing:
        style += ";" + DIFF_STYLE
    if col.key == "run" and col.kind == "attribute":
        style += ";left:0;z-index:3"  # the corner stays put both ways
    if col.id == model.sort:
        label += " ▲" if model.ascending else " ▼"
    kind = {"param": "param", "metric": "metric", "attribute": "attr"}[col.kind]
    return (
        f'<th class="wb-{kind}" data-column="{e(col.id)}" title="sort by {e(col.key)}" '
        f'style="{style}">{e(label)}</th>'
    )


def _lineage(model: TableModel, row: Row, base_url: str) -> str:
    """Links along MLflow's nesting tag: a step run (or trial) up to the pipeline (or study)
    run that produced it, and a parent down to each run it produced."""
    links = []
    if row.parent_id:
        name = model.names.get(row.parent_id, row.parent_id[:8])
        url = run_url(base_url, row.experiment_id, row.parent_id)
        links.append(
            f'<a class="wb-parent" href="{e(url)}" target="_blank" '
            f'title="produced by run {e(row.parent_id)}">↑ {e(name)}</a>'
        )
    kids = model.children.get(row.run_id, [])
    if kids:
        inner = " ".join(
            f'<a class="wb-child" href="{e(run_url(base_url, row.experiment_id, kid))}" '
            f'target="_blank" title="{e(kid)}">{e(model.names.get(kid, kid[:8]))}</a>'
            for kid in kids
        )
        links.append(f'<span class="wb-children">↓ {inner}</span>')
    return "".join(f' <small style="color:#555">{link}</small>' for link in links)


def _run_cell(model: TableModel, row: Row, base_url: str) -> str:
    checked = " checked" if row.run_id in model.selected else ""
    box = (
        f'<input type="checkbox" class="wb-select" data-run-id="{e(row.run_id)}"'
        f' aria-label="select {e(row.name)}"{checked}> '
    )
    badge = "".join(
        f' <span class="wb-champion-badge" title="champion of {e(m)}">★ champion: {e(m)}</span>'
        for m in row.champion_of
    )
    link = (
        f'<a href="{e(run_url(base_url, row.experiment_id, row.run_id))}" '
        f'target="_blank" title="{e(row.run_id)}">{e(row.name)}</a>'
    )
    back = CHAMPION_STYLE if row.champion_of else BACK
    return (
        f'<td class="wb-run" style="{CELL};{STICKY_RUN};{back}">'
        f"{box}{link}{badge}{_lineage(model, row, base_url)}</td>"
    )


def _cell(model: TableModel, row: Row, col: Column) -> str:
    style, css = CELL, ""
    if col.kind == "attribute":
        text = e(row.status) if col.key == "status" else e(_time(row.start_time))
    elif col.kind == "param":
        raw = row.params.get(col.key)
        short = format_param(raw or "")
        text = (
            e(short) if short == (raw or "") else f'<span title="{e(raw or "")}">{e(short)}</span>'
        )
        if raw is not None and col.key in model.differing:
            css, style = ' class="wb-diff"', style + ";" + DIFF_STYLE
    else:
        text = e(format_value(row.values.get(col.key)))
        style += ";text-align:right;font-variant-numeric:tabular-nums"
        if col.key == model.metric:
            style += ";font-weight:bold"
    return f'<td{css} style="{style}">{text}</td>'


def render_table_html(model: TableModel, base_url: str = "http://127.0.0.1:5000") -> str:
    head = "".join(_header(model, col) for col in model.columns)
    body = []
    for row in model.rows:
        cells = [
            _run_cell(model, row, base_url)
            if col.kind == "attribute" and col.key == "run"
            else _cell(model, row, col)
            for col in model.columns
        ]
        row_style = f' style="{CHAMPION_STYLE}"' if row.champion_of else ""
        row_class = "wb-row wb-champion" if row.champion_of else "wb-row"
        body.append(
            f'<tr class="{row_class}" data-run-id="{e(row.run_id)}"{row_style}>{"".join(cells)}</tr>'
        )
    caption = (
        f"{model.total} runs · {e(model.metric)} ({e(model.summary)}) · "
        f"page {model.page + 1} of {model.pages}"
    )
    message = (
        f'<p class="wb-table-message" style="color:#c92a2a;margin:4px 6px">{e(model.message)}</p>'
        if model.message
        else ""
    )
    return (
        f'<div class="wb-caption" style="font-size:12px;padding:2px 6px">{caption}</div>{message}'
        f'<div class="wb-table-scroll" style="{SCROLL_STYLE}">'
        f'<table class="wb-runs" data-metric="{e(model.metric)}" data-summary="{e(model.summary)}" '
        f'data-sort="{e(model.sort)}" style="border-collapse:separate;border-spacing:0;'
        f'font-size:12px"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )
