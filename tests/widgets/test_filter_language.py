"""One filter language: on generated filters the SQL reader and `MlflowClient.search_runs` return
the same runs, or both refuse. Keys of every type (including missing ones and aliases), every
comparator MLflow knows plus the ones a user guesses (`==`, `<>`, `~`, `REGEXP`), numbers and
strings for every key, and up to three terms joined by AND."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from widgets_store import Store

from workbench.core.errors import WorkbenchError
from workbench.tracking.queries import SortKey, open_run_source
from workbench.tracking.queries.filters import FilterError

KEYS = [
    "metrics.acc",
    "metrics.f1",
    "metrics.log_loss",
    "metrics.missing",
    "metric.acc",
    "params.C",
    "params.penalty",
    "params.seed",
    "param.C",
    "params.missing",
    "tags.`mlflow.runName`",
    "tags.`workbench.cell_source`",
    "attributes.status",
    "attributes.run_name",
    "attributes.run_id",
    "attributes.start_time",
    "attributes.end_time",
    "attributes.created",
    "attributes.user_id",
    "attr.status",
    "run.run_name",
    "attributes.nope",
    "datasets.name",
    "nope.x",
]
COMPARATORS = [
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "LIKE",
    "ILIKE",
    "like",
    "IS NULL",
    "IS NOT NULL",
    "IN",
    "NOT IN",
    "==",
    "<>",
    "~",
    "REGEXP",
    "RLIKE",
]
STRINGS = ["'0.1'", "'1%'", "'l1'", "'l2'", "'FINISHED'", "'a0%'", "'%fit%'", "'A01'", "''"]
NUMBERS = ["0.5", "0.8", "1", "-1", "0", "1e3", "1700000000000"]
LISTS = ["('a01', 'b00')", "('FINISHED')", "(1, 2)"]


@st.composite
def terms(draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(KEYS))
    comparator = draw(st.sampled_from(COMPARATORS))
    if comparator in ("IS NULL", "IS NOT NULL"):
        return f"{key} {comparator}"
    value = draw(st.sampled_from(STRINGS + NUMBERS + (LISTS if "IN" in comparator else [])))
    return f"{key} {comparator} {value}"


filters = st.lists(terms(), min_size=1, max_size=3).map(
    lambda parts: " AND ".join(parts).replace(" AND ", " and ", 1)
)


def _mlflow(store: Store, filter_string: str) -> set[str] | None:
    ids = [store.experiment_ids["wb-a"], store.experiment_ids["wb-b"]]
    try:
        runs = MlflowClient().search_runs(ids, filter_string, max_results=1000)
    except MlflowException:
        return None
    return {r.info.run_id for r in runs}


def _reader(source: object, filter_string: str) -> set[str] | None:
    try:
        page = source.search(filter_string)  # type: ignore[attr-defined]
    except WorkbenchError:
        return None
    return {r.run_id for r in page.records}


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(filter_string=filters)
# found by this test: SQLite's LIKE folds case unless told otherwise, as MLflow's sessions do
@example(filter_string="tags.`mlflow.runName` LIKE 'A01'")
@example(filter_string="attributes.run_name LIKE 'A0%' and params.penalty LIKE 'L1'")
def test_reader_and_search_runs_agree_on_generated_filters(
    in_store: Store, filter_string: str
) -> None:
    source = open_run_source(["wb-a", "wb-b"])
    assert _reader(source, filter_string) == _mlflow(in_store, filter_string), filter_string


@pytest.mark.parametrize(
    "filter_string",
    [
        "params.C > '0.5'",
        "metrics.acc LIKE 0.5",
        "metrics.acc == 0.5",
        "params.C <> '1'",
        "params.C ~ '1'",
        "params.C REGEXP '1'",
        "attributes.status > 'A'",
    ],
)
def test_what_mlflow_refuses_is_a_filter_error_with_its_message(
    in_store: Store, filter_string: str
) -> None:
    assert _mlflow(in_store, filter_string) is None
    with pytest.raises(FilterError, match=r"^filter .*Invalid comparator"):
        open_run_source(["wb-a", "wb-b"]).search(filter_string)


def test_unknown_sort_attribute_is_a_clean_error(in_store: Store) -> None:
    source = open_run_source(["wb-a", "wb-b"])
    with pytest.raises(FilterError, match="sort by attribute 'nope'"):
        source.search("", SortKey("attribute", "nope"))
