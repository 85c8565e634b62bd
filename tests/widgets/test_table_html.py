"""The runs table's HTML and the diff as pure functions: column order, differences, lineage."""

from __future__ import annotations

import re

from workbench.tracking.queries.types import RunDetails, RunRecord
from workbench.widgets.diff import diff_html
from workbench.widgets.table import build_rows, build_table, summarise
from workbench.widgets.table_html import render_table_html

# a Kaggle-style sweep: 23 hyper-parameters, a metric, some runs from another model family
PARAMS = [f"p{i:02d}" for i in range(22)]


def rec(i: int, params: dict[str, str], metrics: dict[str, float], tags=None) -> RunRecord:
    return RunRecord(
        f"run{i:02d}", "train", "3", "FINISHED", 1000 + i, None, params, metrics, tags or {}
    )


def table(records, **kw) -> str:
    rows = build_rows(records, summarise(records, "last"))
    params = sorted({k for r in records for k in r.params})
    metrics = sorted({k for r in records for k in r.metrics})
    return render_table_html(
        build_table(rows, params=params, metrics=metrics, metric=kw.pop("metric", "rmse"), **kw)
    )


def headers(html: str) -> list[str]:
    return re.findall(r'<th [^>]*data-column="([^"]+)"', html)


def test_run_and_metrics_come_before_the_parameters() -> None:
    records = [
        rec(i, {p: str(i * j) for j, p in enumerate(PARAMS)}, {"rmse": 1.0 / (i + 1), "mae": 0.5})
        for i in range(3)
    ]
    cols = headers(table(records))
    assert cols[:3] == ["attributes.run", "metrics.rmse", "metrics.mae"]
    assert cols[3:25] == [f"params.{p}" for p in PARAMS]
    assert cols[25:] == ["attributes.status", "attributes.start_time"]


def test_a_missing_value_is_not_a_difference() -> None:
    # xgboost runs set max_depth, the linear baseline never did: not "different"
    records = [
        rec(0, {"max_depth": "6", "eta": "0.1"}, {"rmse": 1.0}),
        rec(1, {"max_depth": "6", "eta": "0.3"}, {"rmse": 2.0}),
        rec(2, {"alpha": "1.0"}, {"rmse": 3.0}),
    ]
    html = table(records)
    assert 'data-column="params.eta"' in html and html.count('class="wb-diff"') == 2
    assert not re.search(r'data-column="params.max_depth"[^>]*#fff3bf', html)
    assert not re.search(r'data-column="params.alpha"[^>]*#fff3bf', html)
    only = table(records, diff_only=True)
    assert [h for h in headers(only) if h.startswith("params.")] == ["params.eta"]


def test_scrolls_in_its_own_box_with_sticky_header_and_run_column() -> None:
    html = table([rec(0, {"a": "1"}, {"rmse": 1.0})])
    box = re.search(r'<div class="wb-table-scroll" style="([^"]+)"', html)
    assert box and "overflow:auto" in box.group(1) and "max-height" in box.group(1)
    run_cell = re.search(r'<td class="wb-run" style="([^"]+)"', html)
    assert run_cell and "position:sticky" in run_cell.group(1) and "left:0" in run_cell.group(1)
    assert all("position:sticky;top:0" in s for s in re.findall(r'<th [^>]*style="([^"]+)"', html))


def test_checkboxes_reflect_the_selection_and_headers_say_the_order() -> None:
    records = [rec(i, {}, {"rmse": float(i)}) for i in range(3)]
    rows = build_rows(records, summarise(records, "last"))
    model = build_table(rows, params=[], metrics=["rmse"], metric="rmse", selected=["run01"])
    html = render_table_html(model)
    ticked = re.findall(r'data-run-id="(\w+)" aria-label="select train" checked', html)
    assert ticked == ["run01"] and html.count('class="wb-select"') == 3
    assert re.search(r'data-column="metrics.rmse"[^>]*>rmse ▼</th>', html)


def test_lineage_links_both_ways() -> None:
    parent = rec(0, {"C": "1"}, {"rmse": 1.0})
    steps = [
        RunRecord(
            f"step{i}", name, "3", "FINISHED", 1, None, {}, {}, {"mlflow.parentRunId": "run00"}
        )
        for i, name in enumerate(("load", "fit"))
    ]
    html = table([parent, *steps])
    down = re.search(r'data-run-id="run00".*?</tr>', html)
    assert down and re.findall(r'class="wb-child" href="[^"]+/runs/(\w+)"', down.group(0)) == [
        "step0",
        "step1",
    ]
    up = re.search(r'<tr class="wb-row" data-run-id="step1".*?</tr>', html)
    assert up and re.search(r'class="wb-parent" href="[^"]+/experiments/3/runs/run00"', up.group(0))
    assert "↑ train" in up.group(0)


def details(run_id: str, params: dict[str, str], tags: dict[str, str]) -> RunDetails:
    return RunDetails(run_id, "train", params, {"acc": 0.5}, tags, [], "fit()")


def test_diff_names_runs_by_name_and_id_shows_commits_and_can_hide_equal_rows() -> None:
    a = details(
        "aaaa1111", {"C": "1", "seed": "7"}, {"team": "x", "mlflow.source.git.commit": "abc"}
    )
    b = details(
        "bbbb2222", {"C": "2", "seed": "7"}, {"team": "x", "mlflow.source.git.commit": "def"}
    )
    full = diff_html([a, b])
    heads = re.findall(r'<th class="wb-diff-run"[^>]*>(.*?)</th>', full)
    assert heads[:2] == [
        'train<br><code style="font-weight:normal">aaaa1111</code>',
        'train<br><code style="font-weight:normal">bbbb2222</code>',
    ]
    assert re.search(r"<th[^>]*>git commit</th><td[^>]*>abc</td><td[^>]*>def</td>", full)
    assert ">team</th>" in full and ">seed</th>" in full
    only = diff_html([a, b], only_differences=True)
    assert ">team</th>" not in only and ">seed</th>" not in only  # identical: hidden
    assert ">C</th>" in only and ">git commit</th>" in only
    assert "train (aaaa1111)" in only  # the cell diff names both "train" runs apart
