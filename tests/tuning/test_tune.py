"""`workbench.tune`: a tracked, resumable, shareable Optuna study."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import optuna
import pytest
from mlflow import MlflowClient

import workbench
from tests.pg_helpers import ROLE, PgServer
from workbench.core.errors import WorkbenchError
from workbench.tracking.tuning_runs import PARENT_TAG, study_filter
from workbench.tuning.study import close_storage

REPO = Path(__file__).resolve().parents[2]
optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(params: dict, trial: optuna.Trial) -> float:
    """Peaks at x = 2; fails for x > 8; reports two steps so the pruner has data."""
    x = params["x"]
    if x > 8:
        raise ValueError(f"x={x} diverged")
    for step in range(2):
        trial.report(-((x - 2) ** 2) - 1 + step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return -((x - 2) ** 2) + (0.5 if params["kind"] == "b" else 0.0)


SPACE = {"x": ("float", -10.0, 10.0), "kind": ["a", "b"]}


def trial_runs(study: optuna.Study) -> list:
    exp = study.user_attrs["workbench.mlflow_experiment_id"]
    return MlflowClient().search_runs([exp], study_filter(study.study_name), max_results=1000)


@pytest.mark.slow
def test_tracks_parent_and_nested_trial_runs(tproject: Path) -> None:
    sampler = optuna.samplers.RandomSampler(seed=3)
    study = workbench.tune(
        objective, SPACE, n_trials=30, study_name="quad", sampler=sampler, metric="score"
    )
    assert (tproject / "optuna.db").is_file()  # default storage beside the tracking store
    client = MlflowClient()
    parent = client.get_run(study.user_attrs["workbench.mlflow_run_id"])
    assert parent.info.status == "FINISHED" and parent.data.tags[PARENT_TAG] == "quad"
    assert (
        parent.data.params["direction"] == "maximize"
        and parent.data.params["sampler"] == "RandomSampler"
    )
    assert parent.data.metrics["best_value"] == pytest.approx(study.best_value)
    assert parent.data.tags["best.x"] == str(study.best_params["x"])
    assert parent.data.tags["best.trial_number"] == str(study.best_trial.number)

    runs = {int(r.data.tags["optuna.trial_number"]): r for r in trial_runs(study)}
    assert sorted(runs) == list(range(30))
    states = {t.number: t.state.name for t in study.trials}
    status = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
    for trial in study.trials:
        run = runs[trial.number]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.info.status == status[states[trial.number]]
        assert run.data.params == {k: str(v) for k, v in trial.params.items()}
        if trial.value is not None:
            assert run.data.metrics["score"] == pytest.approx(trial.value)
        history = client.get_metric_history(run.info.run_id, "intermediate_value")
        assert [(m.step, m.value) for m in history] == sorted(trial.intermediate_values.items())
    failed = [t for t in study.trials if t.state.name == "FAIL"]
    assert failed, "the space should make some trials fail (x > 8)"
    assert "diverged" in runs[failed[0].number].data.tags["workbench.error"]
    assert parent.data.metrics["trials_fail"] == len(failed)


@pytest.mark.slow
def test_resumes_the_same_study_and_parent_run(tproject: Path) -> None:
    first = workbench.tune(objective, SPACE, n_trials=5, study_name="again")
    parent = first.user_attrs["workbench.mlflow_run_id"]
    assert (tproject / "optuna.db").is_file()  # default storage beside the tracking store
    second = workbench.tune(objective, SPACE, n_trials=4, study_name="again")
    assert second.user_attrs["workbench.mlflow_run_id"] == parent
    assert len(second.trials) == 9 and len(trial_runs(second)) == 9
    parents = MlflowClient().search_runs(
        [second.user_attrs["workbench.mlflow_experiment_id"]], f"tags.`{PARENT_TAG}` = 'again'"
    )
    assert [p.info.run_id for p in parents] == [parent]
    assert (
        parents[0].info.status == "FINISHED" and parents[0].data.tags["workbench.n_trials"] == "4"
    )


def test_optuna_style_objective_and_memory_storage(tproject: Path) -> None:
    def plain(trial: optuna.Trial) -> float:
        return trial.suggest_float("y", 0, 1)

    study = workbench.tune(
        plain, n_trials=6, storage="memory", direction="minimize", experiment="mem", study_name="m"
    )
    assert len(trial_runs(study)) == 6 and study.direction.name == "MINIMIZE"
    mem = MlflowClient().get_experiment_by_name("mem")
    assert study.user_attrs["workbench.mlflow_experiment_id"] == mem.experiment_id
    db = tproject / "optuna.db"
    assert not db.exists() or "m" not in optuna.get_all_study_names(f"sqlite:///{db}")


def test_compare_shows_the_study(tproject: Path) -> None:
    study = workbench.tune(
        objective, SPACE, n_trials=12, study_name="cmp", metric="score", storage="memory"
    )
    view = workbench.compare(study=study)
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert view.state.metric == "score" and view.state.total == 12  # trials only, no parent
    assert "study cmp" not in view.table.value
    history, importance = view.study_figs
    assert list(history.data[0].y) == pytest.approx([t.value for t in done])
    assert set(importance.data[0].y) <= {"x", "kind"}


def test_user_mistakes(tproject: Path) -> None:
    with pytest.raises(WorkbenchError, match="direction 'up'"):
        workbench.tune(objective, SPACE, n_trials=1, direction="up")
    with pytest.raises(WorkbenchError, match=r"storage 'optuna\.db'"):
        workbench.tune(objective, SPACE, n_trials=1, storage="optuna.db")
    with pytest.raises(WorkbenchError, match=r"space\['x'\]"):
        workbench.tune(objective, {"x": ("float", 2, 1)}, n_trials=1)
    workbench.tune(objective, SPACE, n_trials=1, study_name="dir")
    with pytest.raises(WorkbenchError, match="already exists with direction maximize"):
        workbench.tune(objective, SPACE, n_trials=1, study_name="dir", direction="minimize")


WORKER = textwrap.dedent(
    """
    import sys, optuna, workbench
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    def objective(p):
        return -(p["x"] - 1) ** 2
    workbench.tune(objective, {"x": ("float", -5, 5)}, n_trials=int(sys.argv[1]),
                   study_name="shared", storage=sys.argv[2])
    """
)


@pytest.mark.slow
@pytest.mark.integration
def test_two_processes_share_one_study(tproject: Path, tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), "15", storage],
            cwd=tproject,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=storage)
    assert len(study.trials) == 30
    from workbench.tracking.config import configure

    configure()
    runs = trial_runs(study)
    assert sorted(int(r.data.tags["optuna.trial_number"]) for r in runs) == list(range(30))
    parents = {r.data.tags["mlflow.parentRunId"] for r in runs}
    assert parents == {study.user_attrs["workbench.mlflow_run_id"]}


def test_parallel_threads_record_every_trial(tproject: Path) -> None:
    study = workbench.tune(
        objective, SPACE, n_trials=12, n_jobs=3, storage="memory", study_name="threads"
    )
    numbers = sorted(int(r.data.tags["optuna.trial_number"]) for r in trial_runs(study))
    assert numbers == list(range(12))


def _backends(server: PgServer, database: str) -> int:
    """Connections the PostgreSQL server holds open to `database` (this query's own is to
    another database)."""
    import psycopg

    with psycopg.connect(
        host=server.host, port=server.port, user=ROLE, dbname="postgres", autocommit=True
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.integration
def test_a_postgres_study_holds_no_connection_once_tune_returns(
    tproject: Path, pg_server: PgServer
) -> None:
    """A notebook tunes on the team's PostgreSQL: once `tune` returns, the study's storage holds
    no connection (idle ones stayed, a server backend each, until the kernel exited, where
    psycopg warned); reading the returned study afterwards still works."""
    url = pg_server.create_database("optuna")
    database = url.rsplit("/", 1)[1]
    sampler = optuna.samplers.RandomSampler(seed=5)
    study = workbench.tune(
        objective, SPACE, n_trials=3, storage=url, experiment="pg-study", sampler=sampler
    )
    assert _backends(pg_server, database) == 0
    assert len(study.get_trials(deepcopy=False)) == 3  # reconnects
    close_storage(study)
    assert _backends(pg_server, database) == 0
