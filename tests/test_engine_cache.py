"""The SQL readers keep one pooled engine per store, the last few used; an engine pushed out
is disposed, so its pooled connections are closed rather than left to the garbage collector
(which, for PostgreSQL, warns from psycopg's `BaseConnection.__del__`)."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import sqlalchemy as sa

from tests.pg_helpers import PgServer
from workbench.core import mlflow_schema


def _use(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("select 1"))


def test_an_engine_pushed_out_is_disposed(tmp_path: Path, pg_server: PgServer) -> None:
    saved = dict(mlflow_schema._ENGINES)
    mlflow_schema._ENGINES.clear()
    try:
        first = pg_server.create_database("enginecache")
        engine = mlflow_schema._engine_for(first)
        _use(engine)
        pool = engine.pool
        assert pool.checkedin() == 1  # a pooled connection stays open
        assert mlflow_schema._engine_for(first) is engine  # reused
        for k in range(mlflow_schema._ENGINES_KEPT):
            _use(mlflow_schema._engine_for(f"sqlite:///{tmp_path / f'{k}.db'}"))
        assert first not in mlflow_schema._ENGINES
        assert pool.checkedin() == 0  # disposed: its connection closed
        del engine, pool
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            gc.collect()
    finally:
        for engine in mlflow_schema._ENGINES.values():
            engine.dispose()
        mlflow_schema._ENGINES.clear()
        mlflow_schema._ENGINES.update(saved)
