"""The pure table, figure and diff logic: records in, rows, HTML and figure dicts out."""

from __future__ import annotations

import math
import re

import pytest

from workbench.tracking.queries.types import RunDetails, RunRecord
from workbench.widgets import figures
from workbench.widgets.diff import diff_html
from workbench.widgets.table import (
    build_rows,
    build_table,
    direction,
    summarise,
)
from workbench.widgets.table_html import render_table_html


def rec(i: int, params: dict[str, str], metrics: dict[str, float], exp: str = "1") -> RunRecord:
    return RunRecord(f"id{i:02d}", f"run{i}", exp, "FINISHED", 1000 + i, 2000 + i, params, metrics)


RECORDS = [
    rec(0, {"C": "10", "penalty": "l2", "seed": "1"}, {"acc": 0.7, "loss": 0.3}),
    rec(1, {"C": "9", "penalty": "l2", "seed": "1"}, {"acc": 0.9, "loss": 0.5}),
    rec(2, {"C": "0.5", "penalty": "l1", "seed": "1"}, {"acc": 0.8}),
    rec(3, {"C": "2", "penalty": "l2", "seed": "1"}, {"acc": math.nan, "loss": 0.1}),
]


def rows(records=RECORDS, champions=None):
    return build_rows(records, summarise(records, "last"), champions)


def test_direction_from_name_unless_overridden() -> None:
    assert direction("log_loss") == "min" and direction("val_rmse") == "min"
    assert direction("roc_auc") == "max"
    assert direction("roc_auc", {"roc_auc": "minimize"}) == "min"


def test_best_summary_follows_each_metrics_direction() -> None:
    extremes = {"id00": {"acc": (0.1, 0.9), "loss": (0.2, 0.6)}}
    values = summarise(RECORDS[:1], "best", extremes=extremes)
    assert values == {"id00": {"acc": 0.9, "loss": 0.2}}
    values = summarise(RECORDS[:1], "step", at_step={"id00": {"acc": 0.4}})
    assert values == {"id00": {"acc": 0.4}}


def test_sorting_by_metric_puts_missing_and_nan_last_both_ways() -> None:
    down = build_table(rows(), params=["C"], metrics=["acc", "loss"], metric="acc")
    assert [r.name for r in down.rows] == ["run1", "run2", "run0", "run3"]
    up = build_table(rows(), params=["C"], metrics=["acc"], metric="acc", ascending=True)
    assert [r.name for r in up.rows] == ["run0", "run2", "run1", "run3"]
    by_loss = build_table(
        rows(),
        params=["C"],
        metrics=["acc", "loss"],
        metric="acc",
        sort="metrics.loss",
        ascending=True,
    )
    assert [r.name for r in by_loss.rows] == ["run3", "run0", "run1", "run2"]


def test_numeric_params_sort_as_numbers_text_as_text() -> None:
    model = build_table(
        rows(), params=["C"], metrics=["acc"], metric="acc", sort="params.C", ascending=True
    )
    assert [r.params["C"] for r in model.rows] == ["0.5", "2", "9", "10"]
    model = build_table(
        rows(),
        params=["penalty"],
        metrics=["acc"],
        metric="acc",
        sort="params.penalty",
        ascending=True,
    )
    assert model.rows[0].params["penalty"] == "l1"


def test_differing_params_are_highlighted_and_diff_only_hides_the_rest() -> None:
    model = build_table(rows(), params=["C", "penalty", "seed"], metrics=["acc"], metric="acc")
    assert model.differing == {"C", "penalty"}
    html = render_table_html(model)
    assert html.count('class="wb-diff"') == 8  # 4 rows x 2 differing params
    only = build_table(
        rows(), params=["C", "penalty", "seed"], metrics=["acc"], metric="acc", diff_only=True
    )
    assert [c.key for c in only.columns if c.kind == "param"] == ["C", "penalty"]
    # on a page where penalty is the same everywhere it is not highlighted
    same = build_table(rows(RECORDS[:2]), params=["C", "penalty"], metrics=["acc"], metric="acc")
    assert same.differing == {"C"}


def test_pages_and_caption() -> None:
    model = build_table(rows(), params=[], metrics=["acc"], metric="acc", page=1, page_size=3)
    assert model.pages == 2 and [r.name for r in model.rows] == ["run3"]
    clamped = build_table(rows(), params=[], metrics=["acc"], metric="acc", page=9, page_size=3)
    assert clamped.page == 1
    assert "4 runs · acc (last) · page 2 of 2" in render_table_html(model)


def test_html_links_runs_marks_the_champion_and_escapes() -> None:
    evil = rec(9, {"C": "<b>1</b>"}, {"acc": 0.5}, exp="7")
    model = build_table(
        rows([*RECORDS, evil], {"id01": ["clf"]}), params=["C"], metrics=["acc"], metric="acc"
    )
    html = render_table_html(model, base_url="http://mlflow.example:5000/")
    assert 'href="http://mlflow.example:5000/#/experiments/7/runs/id09"' in html
    assert "&lt;b&gt;1&lt;/b&gt;" in html and "<b>1</b>" not in html
    champion_rows = re.findall(r'<tr class="wb-row wb-champion" data-run-id="(\w+)"', html)
    assert champion_rows == ["id01"] and "★ champion: clf" in html
    assert 'data-metric="acc"' in html and 'data-sort="metrics.acc"' in html


def test_scatter_uses_numbers_or_categories_and_log_for_wide_ranges() -> None:
    fig = figures.scatter_figure(rows(), "acc", "C")
    trace = fig["data"][0]
    assert sorted(trace["x"]) == [0.5, 9.0, 10.0]  # run3's NaN accuracy is left out
    assert fig["layout"]["title"]["text"] == "acc vs C" and "type" not in fig["layout"]["xaxis"]
    cat = figures.scatter_figure(rows(), "loss", "penalty")
    assert cat["layout"]["xaxis"]["type"] == "category" and sorted(cat["data"][0]["y"]) == [
        0.1,
        0.3,
        0.5,
    ]
    wide = [rec(i, {"lr": str(10.0**-i)}, {"acc": 0.1 * i}) for i in range(1, 5)]
    assert figures.scatter_figure(rows(wide), "acc", "lr")["layout"]["xaxis"]["type"] == "log"


def test_parallel_coordinates_encode_categories_and_colour_by_metric() -> None:
    fig = figures.parallel_figure(rows(), ["C", "penalty"], ["acc", "loss"], "loss")
    dims = fig["data"][0]["dimensions"]
    assert [d["label"] for d in dims] == ["C", "penalty", "acc", "loss"]
    assert dims[1]["ticktext"] == ["l1", "l2"] and dims[1]["values"] == [1, 1, 0, 1]
    assert fig["data"][0]["line"]["color"][:2] == [0.3, 0.5]


def test_history_and_study_figures() -> None:
    fig = figures.history_figure({"id00": [(0, 0.1), (1, 0.2)]}, {"id00": "run0"}, "acc")
    assert fig["data"][0]["name"] == "run0" and fig["data"][0]["y"] == [0.1, 0.2]
    assert "select runs" in figures.history_figure({}, {}, "acc")["layout"]["title"]["text"]
    opt = figures.optimisation_figure([0, 1, 2], [0.5, 0.4, 0.7], [0.5, 0.5, 0.7], "value")
    assert opt["data"][1]["y"] == [0.5, 0.5, 0.7]
    imp = figures.importance_figure({"C": 0.8, "penalty": 0.2})
    assert imp["data"][0]["y"] == ["penalty", "C"]  # most important on top


def details(name: str, params: dict[str, str], cell: str | None) -> RunDetails:
    return RunDetails(name, name, params, {"acc": 0.5}, {"t": "x"}, [("train", "abc")], cell)


def test_diff_highlights_differences_and_diffs_the_cell_source() -> None:
    html = diff_html(
        [
            details("r1", {"C": "1", "seed": "7"}, "C = 1\nfit()\n"),
            details("r2", {"C": "2", "seed": "7"}, "C = 2\nfit()\n"),
        ]
    )
    assert html.count('class="wb-diff"') == 1  # C differs; seed, acc, dataset, tag do not
    assert "-C = 1" in html and "+C = 2" in html
    missing = diff_html([details("r1", {}, "x = 1"), details("r2", {}, None)])
    assert "no notebook cell source recorded for r2" in missing
    assert "Tick 2 to 4 runs" in diff_html([details("r1", {}, None)])


@pytest.mark.parametrize("count", [2, 4])
def test_diff_accepts_two_to_four_runs(count: int) -> None:
    runs = [details(f"r{i}", {"C": str(i)}, f"C = {i}") for i in range(count)]
    html = diff_html(runs)
    assert html.count("<pre") == count - 1  # each run diffed against the first
