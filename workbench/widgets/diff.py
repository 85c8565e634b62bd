"""The diff of two to four runs as HTML: params, metrics, tags, datasets, and the cell source.

The first selected run is the reference; rows whose values differ are highlighted, and each
other run's notebook cell is shown as a unified diff against the reference's cell.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence

from workbench.tracking.queries.types import RunDetails
from workbench.widgets.table import DIFF_STYLE, format_value

MIN_RUNS, MAX_RUNS = 2, 4
# tags MLflow writes for itself: noise in a diff
HIDDEN_TAG_PREFIXES = ("mlflow.log-model", "mlflow.source.git")


def _section(title: str, names: Sequence[str], rows: Mapping[str, Sequence[str]]) -> str:
    e = html.escape
    if not rows:
        return f"<h4>{e(title)}</h4><p><i>none</i></p>"
    head = "".join(f'<th style="text-align:left;padding:2px 6px">{e(n)}</th>' for n in names)
    body = []
    for key, values in rows.items():
        differs = len(set(values)) > 1
        style = f' style="{DIFF_STYLE}"' if differs else ""
        css = ' class="wb-diff"' if differs else ""
        cells = "".join(f'<td style="padding:2px 6px">{e(v)}</td>' for v in values)
        body.append(
            f'<tr{css}{style}><th style="text-align:left;padding:2px 6px">{e(key)}</th>{cells}</tr>'
        )
    return (
        f'<h4>{e(title)}</h4><table class="wb-diff-{e(title.lower())}" '
        f'style="border-collapse:collapse;font-size:12px"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _rows(maps: Sequence[Mapping[str, str]]) -> dict[str, list[str]]:
    keys = sorted(set().union(*maps)) if maps else []
    return {k: [m.get(k, "—") for m in maps] for k in keys}


def cell_diff(reference: str | None, other: str | None, names: tuple[str, str]) -> str:
    """A unified diff as coloured <pre> lines; says so when a run has no recorded cell."""
    e = html.escape
    if reference is None or other is None:
        missing = names[0] if reference is None else names[1]
        return f"<p><i>no notebook cell source recorded for {e(missing)}</i></p>"
    lines = list(
        difflib.unified_diff(
            reference.splitlines(), other.splitlines(), names[0], names[1], lineterm=""
        )
    )
    if not lines:
        return f"<p><i>same cell source in {e(names[0])} and {e(names[1])}</i></p>"
    colours = {"+": "#e6ffed", "-": "#ffeef0", "@": "#f1f8ff"}
    out = []
    for line in lines:
        colour = colours.get(line[:1], "")
        style = (
            f' style="background:{colour}"'
            if colour and not line.startswith(("+++", "---"))
            else ""
        )
        out.append(f"<span{style}>{e(line)}</span>")
    return f'<pre class="wb-cell-diff" style="font-size:12px">{chr(10).join(out)}</pre>'


def selection_hint(count: int) -> str:
    return f"<p>Select {MIN_RUNS} to {MAX_RUNS} runs to compare them (selected: {count}).</p>"


def diff_html(runs: Sequence[RunDetails]) -> str:
    if not MIN_RUNS <= len(runs) <= MAX_RUNS:
        return selection_hint(len(runs))
    names = [r.name for r in runs]
    tags = [
        {k: v for k, v in r.tags.items() if not k.startswith(HIDDEN_TAG_PREFIXES) and len(v) < 300}
        for r in runs
    ]
    parts = [
        _section("Params", names, _rows([r.params for r in runs])),
        _section(
            "Metrics",
            names,
            _rows([{k: format_value(v) for k, v in r.metrics.items()} for r in runs]),
        ),
        _section("Datasets", names, _rows([{n: d for n, d in r.datasets} for r in runs])),
        _section("Tags", names, _rows(tags)),
        "<h4>Notebook cell</h4>",
    ]
    reference = runs[0]
    for other in runs[1:]:
        parts.append(
            cell_diff(reference.cell_source, other.cell_source, (reference.name, other.name))
        )
    return f'<div class="wb-diff-view">{"".join(parts)}</div>'
