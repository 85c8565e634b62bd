"""The three direct SQL users of MLflow's tables on a real PostgreSQL, as on SQLite.

The widget's run reader is checked against `MlflowClient.search_runs` on the same PostgreSQL
store, the batched trial writer against the client writer, the registry lookup against the
aliases MLflow set; and the schema check sends an unknown revision back to MlflowClient.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.s3_helpers import free_port
from workbench.core import mlflow_schema
from workbench.core.errors import WorkbenchError

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILTERS = [
    "",
    "params.C = '0.1'",
    "params.penalty != 'l1' and metrics.acc > 0.8",
    "metrics.log_loss <= 0.45",
    "params.C LIKE '1%'",
    "params.penalty ILIKE 'L2'",
    "attributes.run_name = 'a03'",
    "attributes.status = 'FINISHED' and metrics.f1 >= 0.6",
    "tags.`mlflow.runName` != 'a01'",
]


def test_installed_mlflow_head_is_a_known_revision() -> None:
    """An MLflow upgrade that adds a migration fails here until mlflow_schema is reviewed."""
    import os

    import mlflow.store.db_migrations as migrations
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", os.path.dirname(migrations.__file__))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads and set(heads) <= set(mlflow_schema.KNOWN_REVISIONS)


def test_widget_reader_on_postgres_matches_mlflow_search(pg_project: tuple[Path, str]) -> None:
    from mlflow import MlflowClient

    from tests.widgets.widgets_store import populate
    from workbench.tracking.queries import SortKey, champion_runs, open_run_source
    from workbench.tracking.queries.sql import SqlRunSource

    root, url = pg_project
    store = populate(root)
    source = open_run_source(["wb-a", "wb-b"])
    assert isinstance(source, SqlRunSource) and source.engine.dialect.name == "postgresql"
    ids = [store.experiment_ids["wb-a"], store.experiment_ids["wb-b"]]
    client = MlflowClient(url)
    for filter_string in FILTERS:
        page = source.search(filter_string)
        expected = {r.info.run_id for r in client.search_runs(ids, filter_string, max_results=500)}
        assert {r.run_id for r in page.records} == expected, filter_string
    for order, mlflow_order in [
        (SortKey("metric", "acc"), "metrics.acc DESC"),
        (SortKey("metric", "f1"), "metrics.f1 DESC"),
        (SortKey("attribute", "run_name", ascending=True), "attributes.run_name ASC"),
    ]:
        top = [r.run_id for r in source.search("", order, limit=5).records]
        assert top == [r.info.run_id for r in client.search_runs(ids, "", 1, 5, [mlflow_order])]
    a03 = client.get_run(store.runs["a03"])
    record = next(r for r in source.search("attributes.run_name = 'a03'").records)
    assert record.params == a03.data.params and record.metrics == a03.data.metrics
    assert source.metric_history([store.runs["a03"]], "acc")[store.runs["a03"]] == [
        (m.step, m.value) for m in client.get_metric_history(store.runs["a03"], "acc")
    ]
    assert champion_runs(store.runs.values()) == {store.champion: ["clf"]}


def test_trial_writer_on_postgres_matches_the_client_writer(pg_project: tuple[Path, str]) -> None:
    from mlflow import MlflowClient

    from tests.tuning.test_trial_log import TRIAL, _snapshot
    from workbench.tracking.config import configure
    from workbench.tracking.tuning_log import ClientTrialWriter, SqlTrialWriter, open_trial_writer

    _, url = pg_project
    experiment_id = configure("trials")
    client = MlflowClient(url)
    parent = client.create_run(experiment_id, run_name="study").info.run_id
    writer = open_trial_writer(url)
    assert isinstance(writer, SqlTrialWriter) and writer.engine.dialect.name == "postgresql"
    writer.write(experiment_id, parent, [TRIAL, TRIAL])
    ClientTrialWriter(url).write(experiment_id, parent, [TRIAL])
    runs = client.search_runs([experiment_id], f"tags.`mlflow.parentRunId` = '{parent}'")
    snaps = [_snapshot(client, r.info.run_id) for r in runs]
    assert len(snaps) == 3 and snaps[0] == snaps[1] == snaps[2]
    assert snaps[0]["metrics"]["odd"] == "nan" and snaps[0]["info"][0] == "KILLED"


def test_registry_lookup_on_postgres_binds_names(pg_project: tuple[Path, str]) -> None:
    from mlflow import MlflowClient

    from workbench.serving.sqlregistry import lookup_sql, parse_models_uri

    _, url = pg_project
    client = MlflowClient(url)
    for name in ("churn", "o'brien \" model", "x' OR name = 'churn"):
        client.create_registered_model(name)
        for _ in range(2):
            client.create_model_version(name, source="file:///tmp/m", tags={"who": name})
    client.set_registered_model_alias("churn", "champion", "2")
    client.set_registered_model_alias("o'brien \" model", "champion", "1")
    found = lookup_sql(parse_models_uri("models:/churn@champion"), url)
    assert (found.version, found.tags["who"]) == ("2", "churn")
    quoted = lookup_sql(parse_models_uri("models:/o'brien \" model@champion"), url)
    assert (quoted.version, quoted.tags["who"]) == ("1", "o'brien \" model")
    # a crafted name reaches its own model (which has no champion), never churn's
    with pytest.raises(WorkbenchError, match="has no alias 'champion'"):
        lookup_sql(parse_models_uri("models:/x' OR name = 'churn@champion"), url)
    assert lookup_sql(parse_models_uri("models:/churn@latest"), url).version == "2"


def _set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_unknown_revision_falls_back_to_mlflow_client(pg_store: str, tmp_path: Path) -> None:
    from mlflow.exceptions import MlflowException

    from workbench.serving.sqlregistry import RegistryUnavailable, lookup_sql, parse_models_uri
    from workbench.tracking.tuning_log import open_trial_writer

    assert mlflow_schema.sql_engine(pg_store) is not None
    _set_revision(pg_store, "ffffffffffff")
    assert mlflow_schema.sql_engine(pg_store) is None
    # the fallback is MLflow's own client, which knows its schema (and refuses this one)
    with pytest.raises(MlflowException, match="ffffffffffff"):
        open_trial_writer(pg_store)
    with pytest.raises(RegistryUnavailable, match="ffffffffffff"):
        lookup_sql(parse_models_uri("models:/m@champion"), pg_store)
    # the same on SQLite: a copy of a store whose revision is not known
    db = tmp_path / "mlflow.db"
    from tests.project_helpers import migrate_store

    migrate_store(f"sqlite:///{db}")
    assert mlflow_schema.sql_engine(f"sqlite:///{db}") is not None
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    assert mlflow_schema.sql_engine(f"sqlite:///{db}") is None


def test_unreachable_postgres_names_host_and_port_without_credentials() -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://alice:s3cr3t-pw@127.0.0.1:{port}/mlflow"
    with pytest.raises(WorkbenchError) as caught:
        mlflow_schema.sql_engine(url)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "s3cr3t" not in message and "alice" not in message
