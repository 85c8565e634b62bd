"""The narrow SQL reader agrees with MLflow's own search; the client fallback agrees with both."""

from __future__ import annotations

import math
import time

import pytest
from mlflow import MlflowClient
from widgets_store import CELL_TAG, Store, log_run

from workbench.core.errors import WorkbenchError
from workbench.tracking.queries import SortKey, champion_runs, open_run_source, run_details
from workbench.tracking.queries.client import ClientRunSource
from workbench.tracking.queries.sql import SqlRunSource

FILTERS = [
    "",
    "params.C = '0.1'",
    "params.penalty != 'l1' and metrics.acc > 0.8",
    "metrics.log_loss <= 0.45",
    "params.C LIKE '1%'",
    "attributes.run_name = 'a03'",
    "attributes.status = 'FINISHED' and metrics.f1 >= 0.6",
    "tags.`workbench.cell_source` LIKE '%fit%'",
    "params.seed = '7'",
]


def _mlflow_ids(store: Store, filter_string: str, order_by=None, max_results=1000) -> list[str]:
    runs = MlflowClient().search_runs(
        [store.experiment_ids["wb-a"], store.experiment_ids["wb-b"]],
        filter_string,
        order_by=order_by or [],
        max_results=max_results,
    )
    return [r.info.run_id for r in runs]


def test_opens_the_sql_reader_for_a_sqlite_store(in_store: Store) -> None:
    source = open_run_source(["wb-a", "wb-b"])
    assert isinstance(source, SqlRunSource)
    assert [e.name for e in source.experiments] == ["wb-a", "wb-b"]


@pytest.mark.parametrize("filter_string", FILTERS)
def test_filters_match_mlflow_search(in_store: Store, filter_string: str) -> None:
    page = open_run_source(["wb-a", "wb-b"]).search(filter_string)
    expected = _mlflow_ids(in_store, filter_string)
    assert {r.run_id for r in page.records} == set(expected)
    assert page.total == len(expected)


@pytest.mark.parametrize(
    ("order", "mlflow_order"),
    [
        (SortKey("metric", "acc"), "metrics.acc DESC"),
        (SortKey("metric", "log_loss", ascending=True), "metrics.log_loss ASC"),
        (SortKey("metric", "f1"), "metrics.f1 DESC"),  # most runs lack f1: they come last
        (SortKey("attribute", "run_name", ascending=True), "attributes.run_name ASC"),
    ],
)
def test_top_k_order_matches_mlflow(in_store: Store, order: SortKey, mlflow_order: str) -> None:
    page = open_run_source(["wb-a", "wb-b"]).search("", order, limit=5)
    assert [r.run_id for r in page.records] == _mlflow_ids(in_store, "", [mlflow_order], 5)
    assert page.total == 27


def test_rows_hold_params_latest_metrics_and_selected_tags(in_store: Store) -> None:
    records = {r.name: r for r in open_run_source(["wb-a", "wb-b"]).search("").records}
    for name in ("a03", "b1"):
        run = MlflowClient().get_run(in_store.runs[name])
        assert records[name].params == run.data.params
        assert records[name].metrics == run.data.metrics
        assert records[name].status == "FINISHED"
        assert records[name].experiment_id == run.info.experiment_id
    assert CELL_TAG in MlflowClient().get_run(in_store.runs["b1"]).data.tags
    assert CELL_TAG not in records["b1"].tags  # long tags are read only for the diff


def test_keys_are_the_union_over_the_experiments(in_store: Store) -> None:
    assert open_run_source(["wb-a", "wb-b"]).keys() == (
        ["C", "depth", "penalty", "seed"],
        ["acc", "f1", "log_loss"],
    )
    assert open_run_source("wb-b").keys() == (["C", "depth", "penalty"], ["acc"])


def test_metric_extremes_and_values_at_a_step_match_the_history(in_store: Store) -> None:
    source = open_run_source("wb-a")
    ids = [in_store.runs["a04"], in_store.runs["a09"]]
    extremes = source.metric_extremes(ids, ["acc", "log_loss"])
    at_one = source.metrics_at_step(ids, ["acc"], 1)
    client = MlflowClient()
    for run_id in ids:
        history = [m.value for m in client.get_metric_history(run_id, "acc")]
        assert extremes[run_id]["acc"] == (min(history), max(history))
        assert at_one[run_id]["acc"] == history[1]
    assert source.metric_history(ids[:1], "acc")[ids[0]] == [
        (m.step, m.value) for m in client.get_metric_history(ids[0], "acc")
    ]


def test_changed_since_returns_only_new_and_deleted_runs(in_store: Store) -> None:
    source = open_run_source("wb-b")
    time.sleep(1.1)  # the watermark has a second of clock slack: let the store's runs age
    page = source.search("")
    client = MlflowClient()
    new_id = log_run(client, in_store.experiment_ids["wb-b"], "b-new", {"C": 2}, {"acc": [0.9]})
    client.delete_run(in_store.runs["b0"])
    try:
        changes = source.changed_since("", page.fetched_at_ms)
        assert [r.run_id for r in changes.records] == [new_id]
        assert changes.removed == {in_store.runs["b0"]}
        nothing = source.changed_since("", changes.fetched_at_ms + 1000)
        assert nothing.records == [] and nothing.removed == set()
    finally:
        client.restore_run(in_store.runs["b0"])
        client.delete_run(new_id)


def test_client_fallback_returns_the_same_rows(in_store: Store) -> None:
    import mlflow

    sql = open_run_source("wb-a")
    client = ClientRunSource(mlflow.get_tracking_uri(), ["wb-a"])
    order = SortKey("metric", "acc")
    a, b = sql.search("params.C = '1.0'", order, 4), client.search("params.C = '1.0'", order, 4)
    assert a.records == b.records and a.total == b.total == 6
    ids = [r.run_id for r in a.records]
    assert sql.metric_extremes(ids, ["acc"]) == client.metric_extremes(ids, ["acc"])
    assert sql.metrics_at_step(ids, ["acc"], 2) == client.metrics_at_step(ids, ["acc"], 2)


def test_dataset_filters_fall_back_to_mlflow(in_store: Store) -> None:
    page = open_run_source("wb-a").search("datasets.name = 'train'")
    assert [r.run_id for r in page.records] == [in_store.runs["a01"]]


def test_user_mistakes_name_the_experiment_or_the_filter(in_store: Store) -> None:
    with pytest.raises(WorkbenchError, match="experiment 'nope'"):
        open_run_source(["wb-a", "nope"])
    with pytest.raises(WorkbenchError, match=r"filter 'params\.C ='"):
        open_run_source("wb-a").search("params.C =")


def test_champion_and_run_details(in_store: Store) -> None:
    open_run_source("wb-a")  # points MLflow at the store
    assert champion_runs(in_store.runs.values()) == {in_store.champion: ["clf"]}
    assert champion_runs([in_store.runs["a00"]]) == {}
    details = run_details(in_store.runs["a01"])
    assert details.cell_source == "C = 0.1\nclf.fit(X, y)\n"
    assert [name for name, _ in details.datasets] == ["train"]
    assert details.params["C"] == "0.1" and not math.isnan(details.metrics["acc"])
    assert run_details(in_store.runs["a03"]).cell_source is None
    assert run_details(in_store.runs["b1"]).cell_source == "old = True\nclf.fit(X, y)\n"
