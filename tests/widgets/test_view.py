"""The live widget without a kernel: set a control's value, read the table and figures back."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from mlflow import MlflowClient
from widgets_store import Store, log_run

import workbench
from workbench.core.errors import WorkbenchError
from workbench.tracking.tuning_runs import get_or_create_experiment


def row_names(view) -> list[str]:
    return re.findall(r'title="\w+">([^<]+)</a>', view.table.value)


def column(view, name: str) -> list[str]:
    """The cells of one column of the shown table, by header label."""
    html = view.table.value
    headers = re.findall(r"<th [^>]*>([^<]+)</th>", html)
    index = [h.split(" ")[0] for h in headers].index(name)
    rows = re.findall(r"<tr class=\"wb-row[^>]*>(.*?)</tr>", html)
    return [re.findall(r"<td[^>]*>(.*?)</td>", r)[index] for r in rows]


@pytest.fixture
def view(in_store: Store):
    return workbench.compare("wb-a", metric="acc")


def test_table_leads_with_the_metric_best_first(view) -> None:
    assert 'data-metric="acc"' in view.table.value
    assert row_names(view)[:3] == ["a23", "a22", "a21"]
    assert len(row_names(view)) == 24
    assert view.scatter_fig is None  # no chart before the front end has shown the table
    view.show_charts()
    assert view.scatter_fig.layout.title.text == "acc vs C"  # C varies, seed does not


def test_changing_the_metric_updates_table_and_charts(view) -> None:
    view.show_charts()
    view.metric_control.value = "log_loss"
    assert 'data-metric="log_loss"' in view.table.value
    assert view.state.ascending  # a loss: smaller is better
    values = [float(v) for v in column(view, "log_loss")]
    assert values == sorted(values)
    assert view.scatter_fig.layout.title.text == "log_loss vs C"
    assert sorted(view.scatter_fig.data[0].y) == pytest.approx(
        sorted(0.6 - 0.01 * i for i in range(24))
    )
    assert view.parallel_fig is None  # a hidden tab's chart is built when its tab opens
    view.tabs.selected_index = 1
    assert view.parallel_fig.data[0].line.color[0] == pytest.approx(
        view.state.values()[view.state.records[0].run_id]["log_loss"]
    )


def test_summary_switches_between_last_best_and_a_step(view) -> None:
    view.metric_control.value = "log_loss"
    view.summary_control.value = "best"
    assert 'data-summary="best"' in view.table.value
    assert sorted(float(v) for v in column(view, "log_loss")) == pytest.approx(
        sorted(0.5 - 0.01 * i for i in range(24)), abs=1e-4
    )
    view.summary_control.value = "step"
    view.step_control.value = 1
    accs = sorted(float(v) for v in column(view, "acc"))
    assert accs == pytest.approx(sorted(0.60 + 0.01 * i for i in range(24)), abs=1e-4)


def test_sort_control_sorts_by_any_column(view) -> None:
    view.sort_control.value = "params.C"
    view.ascending_control.value = True
    assert column(view, "C")[:6] == ["0.01"] * 6 and column(view, "C")[-1] == "10.0"
    view.sort_control.value = "attributes.run"
    assert row_names(view)[:2] == ["a00", "a01"]


def test_filter_box_takes_mlflow_syntax_and_reports_mistakes(view) -> None:
    view.filter_control.value = "params.C = '0.1' and metrics.acc > 0.8"
    assert set(column(view, "C")) == {"0.1"} and len(row_names(view)) == 4
    view.filter_control.value = "params.C = "
    assert "wb-error" in view.status.value and "filter" in view.status.value
    # the old rows would read as the answer to the new filter: the table empties and says why
    assert row_names(view) == [] and "wb-table-message" in view.table.value
    assert view.filter_control.value == "params.C = "  # what was typed stays to be corrected
    view.filter_control.value = ""
    assert len(row_names(view)) == 24


@pytest.mark.parametrize("bad", ["params.C > '0.5'", "metrics.acc == 0.8", "params.C REGEXP '1'"])
def test_a_filter_mlflow_refuses_is_shown_in_place_and_refresh_keeps_working(
    view, bad: str
) -> None:
    view.filter_control.value = "params.C = '0.1'"
    assert len(row_names(view)) == 6
    view.filter_control.value = bad
    assert "wb-error" in view.status.value and "Invalid comparator" in view.status.value
    assert "Invalid comparator" in view.table.value and row_names(view) == []
    assert view.state.filter_string == "params.C = '0.1'"
    view.refresh_button.click()  # the bad filter is not in the state: Refresh still works
    assert "wb-error" not in view.status.value and len(row_names(view)) == 6
    assert view.filter_control.value == "params.C = '0.1'"


def test_differences_only_hides_constant_params(view) -> None:
    assert 'data-column="params.seed"' in view.table.value
    assert re.search(r'data-column="params.C" [^>]*style="[^"]*#fff3bf', view.table.value)
    assert not re.search(r'data-column="params.seed" [^>]*style="[^"]*#fff3bf', view.table.value)
    view.diff_only_control.value = True
    assert 'data-column="params.seed"' not in view.table.value
    assert 'data-column="params.penalty"' in view.table.value


def test_champion_run_is_marked(view, in_store: Store) -> None:
    marked = re.findall(r'wb-champion" data-run-id="(\w+)"', view.table.value)
    assert marked == [in_store.champion]


def test_selecting_runs_overlays_history_and_diffs_them(view, in_store: Store) -> None:
    view.tabs.selected_index = 2
    view.table.selected = [in_store.runs["a01"], in_store.runs["a02"]]  # two ticked boxes
    assert [t.name for t in view.history_fig.data] == ["a01", "a02"]
    assert list(view.history_fig.data[0].y) == pytest.approx([0.71, 0.61, 0.76])
    assert "-C = 0.1" in view.diff.value and "+C = 1.0" in view.diff.value
    assert 'class="wb-diff"' in view.diff.value
    view.table.selected = [in_store.runs["a01"]]
    assert "Tick 2 to 4 runs" in view.diff.value and len(view.history_fig.data) == 1


def test_pages(in_store: Store) -> None:
    view = workbench.compare("wb-a", metric="acc", page_size=10)
    assert len(row_names(view)) == 10 and "page 1 / 3" in view.page_label.value
    view.next_button.click()
    view.next_button.click()
    assert len(row_names(view)) == 4 and row_names(view)[-1] == "a00"
    assert view.table.value.count('class="wb-select"') == 4  # a checkbox on each shown row


def test_max_runs_loads_the_top_runs_and_resorts_in_sql(in_store: Store) -> None:
    view = workbench.compare("wb-a", metric="acc", max_runs=5)
    assert row_names(view) == ["a23", "a22", "a21", "a20", "a19"] and view.state.total == 24
    view.sort_control.value = "params.C"
    assert set(column(view, "C")) == {"10.0"} and len(row_names(view)) == 5


def test_several_experiments_in_one_table(in_store: Store) -> None:
    view = workbench.compare(["wb-a", "wb-b"], metric="acc")
    assert view.state.total == 27
    assert (
        f"#/experiments/{in_store.experiment_ids['wb-b']}/runs/{in_store.runs['b2']}"
        in view.table.value
    )


def test_register_and_promote_uses_the_gate_and_shows_the_decision(view, in_store: Store) -> None:
    calls = []

    def register(run_id: str, name: str) -> str:
        calls.append(("register", run_id, name))
        return "3"

    def promote(name, version, **kw):
        calls.append(("promote", name, version, kw["metric"], kw["greater_is_better"], kw["X"]))
        return "PromotionDecision(promoted=True)"

    view = workbench.compare(
        "wb-a",
        metric="log_loss",
        model_name="clf",
        register=register,
        promote=promote,
        promote_data=("X", "y"),
    )
    view.promote_button.click()
    assert "tick exactly one run" in view.action_output.value and calls == []
    view.table.selected = [in_store.runs["a03"]]
    view.promote_button.click()
    assert calls == [
        ("register", in_store.runs["a03"], "clf"),
        ("promote", "clf", "3", "log_loss", False, "X"),
    ]
    assert "PromotionDecision(promoted=True)" in view.action_output.value


def test_refresh_fetches_new_runs(in_store: Store) -> None:
    exp = get_or_create_experiment("wb-refresh")
    client = MlflowClient()
    log_run(client, exp, "r0", {"C": 1}, {"acc": [0.5]})
    view = workbench.compare("wb-refresh", metric="acc")
    assert row_names(view) == ["r0"]
    log_run(client, exp, "r1", {"C": 2}, {"acc": [0.9]})
    view.refresh_button.click()
    assert row_names(view) == ["r1", "r0"] and "runs changed" in view.status.value


def test_static_html_representation(view) -> None:
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert "<table" in html and all(f">a{i:02d}<" in html for i in range(24))


def test_bad_arguments_are_clear(in_store: Store) -> None:
    with pytest.raises(WorkbenchError, match="metric 'nope'"):
        workbench.compare("wb-a", metric="nope")
    with pytest.raises(WorkbenchError, match="experiment 'missing'"):
        workbench.compare("missing")
    with pytest.raises(WorkbenchError, match="max_runs 0"):
        workbench.compare("wb-a", max_runs=0)


def test_import_workbench_stays_light() -> None:
    code = (
        "import sys, workbench; "
        "print(sorted(m for m in ('mlflow', 'optuna', 'ipywidgets', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_runs_argument_restricts_the_table(in_store: Store) -> None:
    wanted = [in_store.runs["a03"], in_store.runs["b1"]]
    view = workbench.compare(["wb-a", "wb-b"], metric="acc", runs=wanted)
    assert sorted(row_names(view)) == ["a03", "b1"]
    view.filter_control.value = "params.C = '1.0'"  # combined with the run ids
    assert row_names(view) == ["b1"]


def test_static_html_lists_the_metric_before_the_parameters(view) -> None:
    html = view._repr_mimebundle_()["text/html"]
    assert html.index('data-column="metrics.acc"') < html.index('data-column="params.C"')
    assert html.index('data-column="attributes.run"') < html.index('data-column="metrics.acc"')


def test_header_clicks_sort_and_flip(view) -> None:
    view.table.sort_request = "params.C"  # what a click on the C header sends
    assert view.state.sort == "params.C" and view.state.ascending
    assert column(view, "C")[:6] == ["0.01"] * 6 and view.table.sort_request == ""
    assert view.sort_control.value == "params.C"  # the dropdown follows the header
    view.table.ascending = False  # a second click on the same header
    assert column(view, "C")[0] == "10.0"
    view.table.sort_request = "metrics.log_loss"  # a loss sorts best (smallest) first
    values = [float(v) for v in column(view, "log_loss")]
    assert values == sorted(values)


def test_ticked_rows_survive_a_resort(view, in_store: Store) -> None:
    view.table.selected = [in_store.runs["a03"]]
    view.table.sort_request = "attributes.run"
    assert re.findall(r'data-run-id="(\w+)" aria-label="select a03" checked', view.table.value)


def test_a_name_no_run_has_is_reported(view) -> None:
    view.filter_control.value = "metrics.acuracy > 0.5"  # misspelt: MLflow returns 0 runs
    assert row_names(view) == []
    assert "metrics.acuracy" in view.notice.value and "no run" in view.notice.value
    view.filter_control.value = "params.C = '0.1'"
    assert view.notice.value == ""


def test_parallel_coordinates_default_axes_and_choice(view) -> None:
    # C has 4 values and penalty 2; seed never varies: metric plus the two varying params
    assert view.axes_control.value == ("params.C", "params.penalty", "metrics.acc")
    view.tabs.selected_index = 1
    labels = [d.label for d in view.parallel_fig.data[0].dimensions]
    assert labels == ["C", "penalty", "acc"]
    view.axes_control.value = ("params.seed", "metrics.log_loss", "metrics.acc")
    assert [d.label for d in view.parallel_fig.data[0].dimensions] == ["seed", "log_loss", "acc"]


def test_register_and_promote_without_data_registers_nothing(in_store: Store) -> None:
    calls: list[str] = []
    view = workbench.compare(
        "wb-a",
        metric="acc",
        model_name="clf",
        register=lambda run_id, name: calls.append(run_id) or "9",
        promote=lambda *a, **k: calls.append("promote"),
    )
    assert view.promote_button.disabled and "promote_data" in view.action_output.value
    view.table.selected = [in_store.runs["a03"]]
    assert view.register_and_promote() is None  # the button's action, called directly
    assert calls == [] and "nothing was registered" in view.action_output.value


def test_the_same_runs_model_is_reused_not_registered_again(in_store: Store) -> None:
    calls: list[tuple[str, str]] = []
    view = workbench.compare(
        "wb-a",
        metric="acc",
        model_name="clf",
        promote=lambda name, version, **kw: f"decision on v{version}",
        promote_data=("X", "y"),
    )
    view.rail._register = lambda run_id, name: calls.append((run_id, name)) or "7"
    view.rail._find = lambda run_id, name: "2" if run_id == in_store.champion else None
    view.table.selected = [in_store.champion]
    assert view.register_and_promote() == "decision on v2" and calls == []
    assert "Reused clf v2" in view.action_output.value
    view.table.selected = [in_store.runs["a03"]]
    assert view.register_and_promote() == "decision on v7"
    assert calls == [(in_store.runs["a03"], "clf")]


def test_run_links_follow_the_url_workbench_ui_recorded(
    in_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.core.ui_url import record_ui_url

    monkeypatch.delenv("WORKBENCH_UI_URL", raising=False)
    record_ui_url(in_store.root, "http://127.0.0.1:5123")
    try:
        view = workbench.compare("wb-a", metric="acc")
        assert 'href="http://127.0.0.1:5123/#/experiments/' in view.table.value
        monkeypatch.setenv("WORKBENCH_UI_URL", "http://mlflow.team:80")  # the variable wins
        assert "http://mlflow.team:80/#/" in workbench.compare("wb-a", metric="acc").table.value
    finally:
        (in_store.root / ".workbench" / "ui.json").unlink()
