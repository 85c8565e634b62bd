"""The notebook tracking API against a real SQLite MLflow store in the `project` fixture."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import workbench.tracking as wbt
from workbench.core.errors import WorkbenchError
from workbench.tracking.batch import MAX_ENTITIES, MAX_METRICS, MAX_PARAMS, MAX_TAGS, split_batches


@pytest.fixture
def batch_spy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, int]]:
    """Every MlflowClient.log_batch call, as counts of what it carried."""
    from mlflow import MlflowClient

    calls: list[dict[str, int]] = []
    real = MlflowClient.log_batch

    def spy(
        self: Any, run_id: str, metrics: Any = (), params: Any = (), tags: Any = (), **kw: Any
    ) -> Any:
        calls.append(
            {"metrics": len(metrics or ()), "params": len(params or ()), "tags": len(tags or ())}
        )
        return real(self, run_id, metrics=metrics, params=params, tags=tags, **kw)

    monkeypatch.setattr(MlflowClient, "log_batch", spy)
    return calls


def _run(run_id: str) -> Any:
    import mlflow

    return mlflow.MlflowClient().get_run(run_id)


def test_values_are_batched_and_stored(project: Path, batch_spy: list[dict[str, int]]) -> None:
    import mlflow

    wbt.set_experiment("exp")
    with wbt.start_run(run_name="r") as run:
        run.log_params({f"p{i}": i for i in range(10)})
        for step in range(20):
            run.log_metrics({f"m{i}": i + step / 100 for i in range(5)}, step=step)
        run.set_tags({"stage": "test", "owner": "me"})
    assert batch_spy == [{"metrics": 100, "params": 10, "tags": 2}]
    stored = _run(run.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.info.run_name == "r"
    assert stored.data.params == {f"p{i}": str(i) for i in range(10)}
    assert stored.data.tags["stage"] == "test"
    history = mlflow.MlflowClient().get_metric_history(run.run_id, "m3")
    assert sorted((m.step, m.value) for m in history) == [(s, 3 + s / 100) for s in range(20)]


def test_large_buffers_split_at_mlflow_limits(
    project: Path, batch_spy: list[dict[str, int]]
) -> None:
    import mlflow

    with wbt.start_run() as run:
        for step in range(2100):
            run.log_metric("loss", 1 / (step + 1), step=step)
        run.log_params({f"p{i}": i for i in range(150)})
        assert run.flush() == 3
        assert run.flush() == 0  # nothing left
    assert all(c["metrics"] <= MAX_METRICS and c["params"] <= MAX_PARAMS for c in batch_spy)
    assert all(sum(c.values()) <= MAX_ENTITIES for c in batch_spy)
    assert len(mlflow.MlflowClient().get_metric_history(run.run_id, "loss")) == 2100
    assert len(_run(run.run_id).data.params) == 150


def test_a_long_loop_flushes_on_its_own(project: Path, batch_spy: list[dict[str, int]]) -> None:
    from workbench.tracking.batch import AUTO_FLUSH_AT

    with wbt.start_run() as run:
        for step in range(AUTO_FLUSH_AT + 10):
            run.log_metric("loss", 1.0, step=step)
        sent = sum(c["metrics"] for c in batch_spy)
        assert sent == AUTO_FLUSH_AT  # sent while the loop ran, in limit-sized batches
    assert sum(c["metrics"] for c in batch_spy) == AUTO_FLUSH_AT + 10


def test_split_batches_keeps_order_and_limits() -> None:
    metrics = [(f"m{i}", float(i), 0, i) for i in range(2500)]
    params = [(f"p{i}", str(i)) for i in range(250)]
    tags = [(f"t{i}", "x") for i in range(150)]
    chunks = list(split_batches(metrics, params, tags))
    for chunk in chunks:
        assert len(chunk.metrics) <= MAX_METRICS and len(chunk.params) <= MAX_PARAMS
        assert len(chunk.tags) <= MAX_TAGS
        assert len(chunk.metrics) + len(chunk.params) + len(chunk.tags) <= MAX_ENTITIES
    assert [m for c in chunks for m in c.metrics] == metrics
    assert [p for c in chunks for p in c.params] == params
    assert [t for c in chunks for t in c.tags] == tags


def test_bad_values_fail_at_the_logging_line(project: Path) -> None:
    with wbt.start_run() as run:
        run.log_param("lr", 0.1)
        run.flush()
        run.log_param("lr", 0.1)  # same value again is fine
        with pytest.raises(WorkbenchError, match="param 'lr' logged twice"):
            run.log_param("lr", 0.2)
        with pytest.raises(WorkbenchError, match="metric 'acc' must be a number"):
            run.log_metric("acc", "high")


def test_context_tags_notebook_git_and_packages(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platform

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=project, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", "pyproject.toml")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")
    monkeypatch.setenv("WORKBENCH_NOTEBOOK", str(project / "notebooks" / "train.ipynb"))
    with wbt.start_run() as run:
        pass
    tags = _run(run.run_id).data.tags
    assert tags["workbench.notebook"] == "notebooks/train.ipynb"
    assert tags["mlflow.source.name"] == "notebooks/train.ipynb"
    assert tags["mlflow.source.git.commit"] == git("rev-parse", "HEAD")
    assert tags["workbench.git.dirty"] == "false"
    assert tags["workbench.version.python"] == platform.python_version()
    assert {"workbench.version.mlflow", "workbench.version.scikit-learn"} <= set(tags)

    from workbench.tracking.context import git_state

    (project / "pyproject.toml").write_text("# edited\n", encoding="utf-8", newline="\n")
    git_state.cache_clear()  # one process = one git state; a new process would see this
    with wbt.start_run() as run:
        pass
    assert _run(run.run_id).data.tags["workbench.git.dirty"] == "true"


def test_jupyter_session_name_is_the_fallback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", str(project / "nb.ipynb"))
    with wbt.start_run() as run:
        pass
    assert _run(run.run_id).data.tags["workbench.notebook"] == "nb.ipynb"


def test_cell_source_is_recorded_inside_ipython(project: Path) -> None:
    import mlflow
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        cell = "import workbench.tracking as wbt\nwith wbt.start_run() as run:\n    run.log_metric('x', 1)\n"
        result = shell.run_cell(cell, store_history=True)
        result.raise_error()
        run_id = shell.user_ns["run"].run_id
    finally:
        InteractiveShell.clear_instance()
    tags = _run(run_id).data.tags
    assert tags["workbench.cell"].endswith("import workbench.tracking as wbt")
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "workbench/cells")]
    assert len(artifacts) == 1
    text = mlflow.artifacts.load_text(f"runs:/{run_id}/{artifacts[0]}")
    assert text == cell.rstrip("\n")  # IPython stores the cell without its last newline


def test_dataset_digest_follows_the_whole_content(project: Path) -> None:
    import mlflow.data
    import numpy as np
    import pandas as pd

    a = pd.DataFrame({"x": np.arange(12_000, dtype=float), "label": ["a"] * 12_000})
    b = a.copy()
    b.loc[11_000, "x"] = -1.0  # beyond MLflow's own 10,000-row digest window
    assert mlflow.data.from_pandas(a).digest == mlflow.data.from_pandas(b).digest
    with wbt.start_run() as run:
        sha_a = run.log_dataset(a, name="a", context="training")
        sha_b = run.log_dataset(b, name="b", source="data/b.csv", context="eval")
    assert sha_a != sha_b
    inputs = _run(run.run_id).inputs.dataset_inputs
    by_name = {i.dataset.name: i for i in inputs}
    assert by_name["a"].dataset.digest == sha_a[:32]
    assert by_name["b"].dataset.digest == sha_b[:32]
    assert {t.key: t.value for t in by_name["b"].tags}["mlflow.data.context"] == "eval"
    assert {t.key: t.value for t in by_name["a"].tags}["workbench.sha256"] == sha_a


def test_failure_flushes_and_marks_failed(project: Path) -> None:
    with pytest.raises(ZeroDivisionError), wbt.start_run() as run:
        run.log_metric("before", 1.0)
        1 / 0  # noqa: B018
    stored = _run(run.run_id)
    assert stored.info.status == "FAILED"
    assert stored.data.metrics == {"before": 1.0}


def _managed_run(monkeypatch: pytest.MonkeyPatch, experiment: str = "manager") -> str:
    """What `workbench run` / the pipeline runner do: create a run, pass its id in the env."""
    import mlflow

    from workbench.tracking.config import configure

    configure()
    client = mlflow.MlflowClient()
    run_id = client.create_run(client.create_experiment(experiment)).info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    return str(run_id)


def test_managed_run_is_attached_and_left_running(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    managed = _managed_run(monkeypatch)
    wbt.set_experiment("asked-for-by-the-notebook")  # must not break attaching
    with wbt.start_run(run_name="train") as run:
        run.log_param("C", 1.0)
    assert run.run_id == managed
    # other runs opened and resumed inside the managed process end; the managed one does not
    with wbt.start_run(run_name="side", nested=True) as child:
        child.log_metric("c", 1)
    with wbt.start_run(run_id=managed) as again:
        again.log_metric("resumed", 2.0)
    mlflow.log_metric("fluent", 3.0)  # plain MLflow call, no start_run
    stored = _run(managed)
    assert stored.info.status == "RUNNING"
    assert stored.data.params == {"C": "1.0"}
    assert stored.data.metrics == {"resumed": 2.0, "fluent": 3.0}
    child_run = _run(child.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == managed
    assert child_run.info.status == "FINISHED"


def test_fluent_call_first_then_attach(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow consumes MLFLOW_RUN_ID on its first fluent call; start_run still finds the run."""
    import mlflow

    managed = _managed_run(monkeypatch)
    mlflow.log_metric("fluent", 1.0)
    with wbt.start_run() as run:
        run.log_metric("ours", 2.0)
    assert run.run_id == managed
    assert _run(managed).data.metrics == {"fluent": 1.0, "ours": 2.0}


def test_resumed_run_is_ended_unless_managed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wbt.start_run(run_name="train") as first:
        pass
    managed = _managed_run(monkeypatch)
    with wbt.start_run(run_id=first.run_id) as run:
        run.log_metric("auc", 0.9)
    import os

    assert os.environ["MLFLOW_RUN_ID"] == managed  # mlflow.end_run would have unset it
    assert _run(first.run_id).info.status == "FINISHED"
    assert _run(first.run_id).data.metrics == {"auc": 0.9}
    assert _run(managed).info.status == "RUNNING"
    with pytest.raises(ZeroDivisionError), wbt.start_run() as run:
        1 / 0  # noqa: B018
    assert _run(managed).info.status == "RUNNING"  # the manager decides


def test_unknown_run_id_is_a_clear_error(project: Path) -> None:
    with (
        pytest.raises(WorkbenchError, match="run 'deadbeef' not found"),
        wbt.start_run(run_id="deadbeef"),
    ):
        pass


@pytest.mark.slow
def test_log_model_registers_and_writes_the_model_store(
    project: Path, iris: tuple[Any, Any]
) -> None:
    import mlflow
    from sklearn.linear_model import LogisticRegression

    from workbench.core.hashing import sha256_file
    from workbench.models import load_model_file
    from workbench.models.store import ARTIFACT_SHA256_TAG, SHA256_TAG, STORE_URI_TAG

    X, y = iris
    model = LogisticRegression(max_iter=300).fit(X, y)
    wbt.set_experiment("models")
    with wbt.start_run() as run:
        run.log_param("C", 1.0)
        info = run.log_model(model, input_example=X.head(3), register="iris-clf")
    assert info.version == 1 and info.name == "iris-clf" and info.run_id == run.run_id
    assert info.store_path == str(project / "models" / "iris-clf" / "1" / "model.pkl")
    assert info.sha256 == sha256_file(info.store_path)
    client = mlflow.MlflowClient()
    mv = client.get_model_version("iris-clf", "1")
    assert mv.tags[SHA256_TAG] == info.sha256
    assert mv.tags[STORE_URI_TAG] == info.store_path
    assert mv.run_id == run.run_id
    reloaded = load_model_file(info.store_path, info.sha256)
    assert (reloaded.predict(X) == model.predict(X)).all()
    logged = mlflow.models.get_model_info(info.model_uri)
    assert logged.signature is not None and logged.signature.inputs.input_names() == list(X.columns)
    # the same signature in the model store's model.json, for serving without mlflow
    record = json.loads((project / "models" / "iris-clf" / "1" / "model.json").read_text())
    assert record["signature"] == logged.signature.to_dict()
    # and the MLflow artifact's own digest (its bytes differ from the store file's)
    artifact = Path(mlflow.artifacts.download_artifacts(info.model_uri)) / "model.pkl"
    assert mv.tags[ARTIFACT_SHA256_TAG] == sha256_file(artifact) != info.sha256
    requirements = Path(mlflow.pyfunc.get_model_dependencies(info.model_uri)).read_text()
    assert "scikit-learn==" in requirements and "cloudpickle==" in requirements
    with wbt.start_run() as run:
        plain = run.log_model(model)
    assert plain.version is None and plain.store_path is None and plain.sha256 is None


def test_log_model_rejects_non_models(project: Path) -> None:
    with wbt.start_run() as run, pytest.raises(WorkbenchError, match="has no predict"):
        run.log_model(object())


def test_artifacts_text_and_dict(project: Path) -> None:
    import mlflow

    (project / "report.txt").write_text("ok\n")
    (project / "plots").mkdir()
    (project / "plots" / "a.txt").write_text("a\n")
    with wbt.start_run() as run:
        run.log_artifact(project / "report.txt")
        run.log_artifact(project / "plots", "figures")
        run.log_text("hello", "notes/hello.txt")
        run.log_dict({"b": 2, "a": 1}, "config.json")
        with pytest.raises(WorkbenchError, match=r"missing\.txt does not exist"):
            run.log_artifact(project / "missing.txt")
    uri = f"runs:/{run.run_id}"
    assert mlflow.artifacts.load_text(f"{uri}/report.txt") == "ok\n"
    assert mlflow.artifacts.load_text(f"{uri}/figures/a.txt") == "a\n"
    assert mlflow.artifacts.load_text(f"{uri}/notes/hello.txt") == "hello"
    assert mlflow.artifacts.load_dict(f"{uri}/config.json") == {"a": 1, "b": 2}


def test_package_root_exposes_promote() -> None:
    import workbench
    from workbench.tracking.promotion import promote

    assert workbench.promote is promote
    assert wbt.promote is promote and wbt.PromotionDecision.__name__ == "PromotionDecision"


def test_import_does_not_load_mlflow() -> None:
    code = "import sys, workbench.tracking as t; t.start_run; print('mlflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "False"


def test_model_requirements_follow_the_estimator_tree() -> None:
    from importlib.metadata import version

    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from workbench.tracking.registry import model_requirements

    class Foreign:  # an estimator from another package, as xgboost's sklearn API would be
        def get_params(self, deep: bool = False) -> dict[str, Any]:
            return {}

    Foreign.__module__ = "pandas.fake_estimators"
    model = Pipeline(
        [
            ("prep", ColumnTransformer([("scale", StandardScaler(), [0])])),
            ("clf", LogisticRegression(solver=Foreign())),  # type: ignore[arg-type]
        ]
    )
    assert model_requirements(model) == sorted(
        f"{name}=={version(name)}" for name in ("cloudpickle", "pandas", "scikit-learn")
    )
