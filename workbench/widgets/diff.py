"""The diff of two to four runs as HTML: source, params, metrics, datasets, tags, cell source.

Each column is headed by the run's name and id (two runs of one notebook are both "train").
The first selected run is the reference; rows whose values differ are highlighted, and with
`only_differences` the identical rows (tags included) are left out. Each other run's notebook
cell is shown as a unified diff against the reference's cell.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence

from workbench.tracking.queries.types import RunDetails
from workbench.widgets.table_html import DIFF_STYLE, format_value

MIN_RUNS, MAX_RUNS = 2, 4
GIT_COMMIT_TAG = "mlflow.source.git.commit"
# tags MLflow writes for itself: noise in a diff (the git commit gets its own row)
HIDDEN_TAG_PREFIXES = ("mlflow.log-model", "mlflow.source.git", "mlflow.runName")
MISSING = "—"
e = html.escape


def _section(
    title: str, heads: Sequence[str], rows: Mapping[str, Sequence[str]], only_differences: bool
) -> str:
    shown = {k: v for k, v in rows.items() if not only_differences or len(set(v)) > 1}
    if not shown:
        note = "no differences" if rows else "none"
        return f"<h4>{e(title)}</h4><p><i>{note}</i></p>"
    body = []
    for key, values in shown.items():
        differs = len(set(values)) > 1
        style = f' style="{DIFF_STYLE}"' if differs else ""
        css = ' class="wb-diff"' if differs else ""
        cells = "".join(f'<td style="padding:2px 6px">{e(v)}</td>' for v in values)
        body.append(
            f'<tr{css}{style}><th style="text-align:left;padding:2px 6px">{e(key)}</th>{cells}</tr>'
        )
    return (
        f'<h4>{e(title)}</h4><table class="wb-diff-{e(title.lower())}" '
        f'style="border-collapse:collapse;font-size:12px"><thead><tr><th></th>{"".join(heads)}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _rows(maps: Sequence[Mapping[str, str]]) -> dict[str, list[str]]:
    keys = sorted(set().union(*maps)) if maps else []
    return {k: [m.get(k, MISSING) for m in maps] for k in keys}


def _head(run: RunDetails) -> str:
    return (
        f'<th class="wb-diff-run" style="text-align:left;padding:2px 6px">{e(run.name)}'
        f'<br><code style="font-weight:normal">{e(run.run_id)}</code></th>'
    )


def cell_diff(reference: str | None, other: str | None, names: tuple[str, str]) -> str:
    """A unified diff as coloured <pre> lines; says so when a run has no recorded cell."""
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
    return (
        f"<p>Tick {MIN_RUNS} to {MAX_RUNS} runs in the table to compare them "
        f"(selected: {count}).</p>"
    )


def diff_html(runs: Sequence[RunDetails], *, only_differences: bool = False) -> str:
    if not MIN_RUNS <= len(runs) <= MAX_RUNS:
        return selection_hint(len(runs))
    heads = [_head(r) for r in runs]
    # two runs called "train": the cell diff names them by name and short id
    labels = [f"{r.name} ({r.run_id[:8]})" for r in runs]
    tags = [
        {k: v for k, v in r.tags.items() if not k.startswith(HIDDEN_TAG_PREFIXES) and len(v) < 300}
        for r in runs
    ]
    source = _rows([{"git commit": r.tags.get(GIT_COMMIT_TAG, MISSING)} for r in runs])
    sections = (
        ("Source", source),
        ("Params", _rows([r.params for r in runs])),
        ("Metrics", _rows([{k: format_value(v) for k, v in r.metrics.items()} for r in runs])),
        ("Datasets", _rows([{n: d for n, d in r.datasets} for r in runs])),
        ("Tags", _rows(tags)),
    )
    parts = [_section(title, heads, rows, only_differences) for title, rows in sections]
    parts.append("<h4>Notebook cell</h4>")
    reference = runs[0]
    for other, label in zip(runs[1:], labels[1:], strict=True):
        parts.append(cell_diff(reference.cell_source, other.cell_source, (labels[0], label)))
    return f'<div class="wb-diff-view">{"".join(parts)}</div>'
