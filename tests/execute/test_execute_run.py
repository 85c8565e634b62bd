"""`workbench run` end to end: one FINISHED run with parameters, metrics and the executed notebook;
a failing cell gives exit 1, a FAILED run and a message naming the cell; bad input exits 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from probe_notebooks import isolate_mlflow, write_probe

from workbench.cli.main import main

SCRUBBED = ("MLFLOW_", "WORKBENCH_", "AWS_")


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def _run_cli(root: Path, *args: str, extra_env: dict[str, str] | None = None) -> Outcome:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED)}
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One project, two executions shared by the tests below (each costs a kernel start)."""
    root = tmp_path_factory.mktemp("runproj")
    (root / "pyproject.toml").write_text('[project]\nname = "runproj"\nversion = "0"\n')
    write_probe(root / "notebooks" / "probe.ipynb")
    ok = _run_cli(
        root, "notebooks/probe.ipynb", "-p", "alpha", "3", "-r", "label", "007",
        extra_env={"WORKBENCH_WORKFLOW": "train-sweep-x7k2p"},  # as the Argo templates set it
    )  # fmt: skip
    failed = _run_cli(
        root, "notebooks/probe.ipynb", "-p", "fail", "True",
        "--output", "out/failed.ipynb", "--cwd", ".", "--experiment", "failures",
    )  # fmt: skip
    yield {"root": root, "ok": ok, "failed": failed}


def _runs(root: Path) -> list[Any]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    ids = [e.experiment_id for e in client.search_experiments()]
    return list(client.search_runs(ids))


def _client(root: Path) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")


def _run_by_status(root: Path, status: str) -> Any:
    found = [r for r in _runs(root) if r.info.status == status]
    assert len(found) == 1, [r.info.status for r in _runs(root)]
    return found[0]


@pytest.mark.slow
def test_success_is_one_finished_run_with_params_metrics_and_notebook(
    executed: dict[str, Any],
) -> None:
    root, ok = executed["root"], executed["ok"]
    assert ok.returncode == 0, ok.stderr
    run = _run_by_status(root, "FINISHED")
    assert ok.stdout.startswith(f"run {run.info.run_id} FINISHED")
    # experiment from the notebook's own `experiment` parameter
    assert _client(root).get_experiment(run.info.experiment_id).name == "probe"
    params = run.data.params
    assert params["alpha"] == "3" and params["fail"] == "False" and params["experiment"] == "probe"
    assert params["label"] == "007" and params["label_type"] == "str"  # -r kept the string
    assert run.data.metrics["alpha_sq"] == 9.0  # -p made 3 a number inside the kernel
    assert params["kernel_notebook"] == "notebooks/probe.ipynb"
    assert params["kernel_cwd"] == "notebooks"  # default cwd: the notebook's folder
    assert run.data.tags["mlflow.source.name"] == "notebooks/probe.ipynb"
    assert run.data.tags["workbench.notebook"] == "notebooks/probe.ipynb"
    assert run.data.tags["workbench.argo.workflow"] == "train-sweep-x7k2p"
    artifacts = [a.path for a in _client(root).list_artifacts(run.info.run_id, "notebook")]
    assert artifacts == ["notebook/probe.ipynb"]
    assert (root / ".workbench" / "runs" / run.info.run_id / "probe.ipynb").is_file()
    assert sorted(p.name for p in (root / "notebooks").iterdir()) == ["probe.ipynb"]  # stays clean


@pytest.mark.slow
def test_failing_cell_gives_exit_1_a_failed_run_and_the_executed_notebook(
    executed: dict[str, Any],
) -> None:
    import nbformat

    root, failed = executed["root"], executed["failed"]
    assert failed.returncode == 1
    assert "cell 3 (id 'boom') failed: ValueError: boom 1" in failed.stderr
    assert "Traceback" not in failed.stderr
    run = _run_by_status(root, "FAILED")
    assert _client(root).get_experiment(run.info.experiment_id).name == "failures"
    assert run.data.params["experiment"] == "failures"  # --experiment reaches the notebook too
    assert run.info.run_id in failed.stderr
    assert run.data.metrics["alpha_sq"] == 1.0  # logged before the failing cell
    assert run.data.params["kernel_cwd"] == root.name  # --cwd .
    assert "workbench.argo.workflow" not in run.data.tags  # no WORKBENCH_WORKFLOW: no tag
    local = _client(root).download_artifacts(run.info.run_id, "notebook/failed.ipynb")
    executed_nb = nbformat.read(local, as_version=4)
    errors = [
        o for c in executed_nb.cells for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert [e.ename for e in errors] == ["ValueError"]
    assert (root / "out" / "failed.ipynb").is_file()


@pytest.fixture(autouse=True)
def _keep_jsonschema_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command skips an optional import process-wide; not in the shared test process."""
    from workbench.execute import lean

    monkeypatch.setattr(lean, "skip_slow_optional_imports", lambda: None)
    isolate_mlflow(monkeypatch)


def _cli_exit(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["run", *args])
    return int(info.value.code or 0), capsys.readouterr().err


def test_unknown_parameter_exits_2_and_leaves_no_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_probe(project / "notebooks" / "probe.ipynb")
    code, err = _cli_exit(["notebooks/probe.ipynb", "-p", "Alpha", "2"], capsys)
    assert code == 2
    assert (
        "notebooks/probe.ipynb: unknown parameter(s) Alpha (known: alpha, experiment, fail, label)"
        in err
    )
    assert "Traceback" not in err
    assert not (project / "mlflow.db").exists() or _runs(project) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.ipynb", None, "notebook not found"),
        ("broken.ipynb", "{oops", "not a valid .ipynb file"),
        (
            "no_kernel.ipynb",
            '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "kernelspec",
        ),
    ],
)
def test_bad_notebooks_exit_2_naming_the_file(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | None, message: str
) -> None:
    if content is not None:
        (project / name).write_text(content)
    code, err = _cli_exit([name], capsys)
    assert code == 2 and name in err and message in err
    assert not (project / "mlflow.db").exists() or _runs(project) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "notebooks/probe.ipynb"], "--output would overwrite the notebook itself"),
        (["--output", "out/run.txt"], "--output must be a .ipynb path"),
        (["--cwd", "no/such/dir"], "no/such/dir: working directory does not exist"),
        (["-p", "experiment", "a", "--experiment", "b"], "--experiment 'b' contradicts"),
    ],
)
def test_bad_options_exit_2_before_any_run(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write_probe(project / "notebooks" / "probe.ipynb")
    code, err = _cli_exit(["notebooks/probe.ipynb", *args], capsys)
    assert code == 2 and message in err
    assert not (project / "mlflow.db").exists() or _runs(project) == []


def test_uninstalled_kernel_exits_2_listing_the_installed_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import nbformat

    path = write_probe(project / "probe.ipynb")
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["kernelspec"]["name"] = "no-such-kernel"
    nbformat.write(nb, str(path))
    code, err = _cli_exit(["probe.ipynb"], capsys)
    assert code == 2
    assert "kernel 'no-such-kernel' is not installed (installed:" in err and "python3" in err


@pytest.mark.parametrize(
    "uri", ["http://bob:pw-Secret9@127.0.0.1:9", "postgresql://bob:pw-Secret9@127.0.0.1:9/mlflow"]
)
def test_unreachable_tracking_store_is_one_error_without_the_password(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, uri: str
) -> None:
    write_probe(project / "notebooks" / "probe.ipynb")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    code, err = _cli_exit(["notebooks/probe.ipynb"], capsys)
    assert code == 1
    if uri.startswith("http"):
        assert "MLflow tracking store" in err and "bob:***@127.0.0.1:9" in err
    else:  # a database store is probed once, quickly, before MLflow's ~100 s retry loop
        assert "tracking database postgresql://127.0.0.1:9/mlflow cannot be reached" in err
    assert "pw-Secret9" not in err and "Traceback" not in err
