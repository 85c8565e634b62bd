"""The first table from a fresh kernel: SQL only, no mlflow, no plotly/nbformat/jsonschema
(whose optional rfc3987_syntax grammar alone costs seconds); charts come when their tab opens."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from widgets_store import Store

from workbench.core import mlflow_schema
from workbench.core.settings import settings
from workbench.tracking.queries import champion_runs
from workbench.tracking.queries.sql import champion_runs_sql

FRESH = """
import json, sys
import workbench
view = workbench.compare("wb-a", metric="acc")
first = {m: m in sys.modules for m in ("mlflow", "plotly", "nbformat", "jsonschema", "rfc3987_syntax", "pandas")}
table = view.table.value
view.tabs.selected_index = 1  # the user opens "Parallel coordinates"
print(json.dumps({
    "first": first,
    "rows": table.count('class="wb-row'),
    "champion": table.count('wb-champion" data-run-id='),
    "plotly_after_tab": "plotly" in sys.modules,
    "parallel_traces": len(view.parallel_fig.data),
}))
"""


@pytest.mark.slow
def test_first_table_in_a_fresh_process_imports_no_mlflow_and_no_charts(in_store: Store) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["first"] == dict.fromkeys(seen["first"], False), seen["first"]
    assert seen["rows"] == 24 and seen["champion"] == 1  # the champion mark, read in SQL
    assert seen["plotly_after_tab"] and seen["parallel_traces"] == 1


def test_sql_champion_marks_match_mlflow_client(
    in_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = mlflow_schema.sql_engine(settings().registry_uri)
    assert engine is not None
    runs = list(in_store.runs.values())
    from_sql = champion_runs_sql(engine, runs)
    assert from_sql == {in_store.champion: [next(iter(champion_runs(runs).values()))[0]]}
    monkeypatch.setattr(mlflow_schema, "sql_engine", lambda uri: None)  # MlflowClient's answer
    assert champion_runs(runs) == from_sql
