"""SIGTERM (how Kubernetes stops a pod) and SIGHUP (a closed terminal) to `workbench run` and to
a step: the MLflow run ends KILLED, and `workbench run` keeps the executed notebook, as on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tests.project_helpers import ISOLATED_ENV, make_project

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(MLFLOW_TRACKING_URI=f"sqlite:///{root / 'mlflow.db'}", PYTHONPATH=str(root))
    return env


def _wait_for(path: Path, proc: subprocess.Popen[bytes], seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.communicate()[0].decode(errors="replace")
            pytest.fail(f"never reached {path.name}: exit {proc.returncode}\n{out[-3000:]}")
        time.sleep(0.2)


def _only_run(root: Path):  # type: ignore[no-untyped-def]
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert len(runs) == 1
    return client, runs[0]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_to_workbench_run_ends_killed_with_the_executed_notebook(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """SIGTERM: Kubernetes stopping the pod; SIGHUP: the terminal closed."""
    root = make_project(tmp_path / "proj")
    marker = root / "cell-two-started"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("rows = 3", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('first cell ran', rows)"),
        nbformat.v4.new_code_cell(
            f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(120)"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "slow.ipynb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli.main", "run", "slow.ipynb"],
        cwd=root,
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _wait_for(marker, proc)
    proc.send_signal(stop)
    out = proc.communicate(timeout=120)[0].decode(errors="replace")
    assert proc.returncode == 128 + stop, out
    client, run = _only_run(root)
    assert run.info.status == "KILLED"
    kept = [a.path for a in client.list_artifacts(run.info.run_id, "notebook")]
    assert kept == ["notebook/slow.ipynb"]
    executed = nbformat.read(root / ".workbench/runs" / run.info.run_id / "slow.ipynb", 4)
    assert "first cell ran 3" in str(executed.cells[1].outputs)


STEP = """
import pathlib, time
from typing import NamedTuple

import workbench.tracking as wbt
from workbench.runtime.step import main_guard, run_step


class Out(NamedTuple):
    pass


def slow(*, marker: str) -> Out:
    wbt.set_experiment("signals")
    with wbt.start_run(run_name="slow") as run:
        run.log_params({"marker": marker})
        pathlib.Path(marker).touch()
        time.sleep(120)
    return Out()


if __name__ == "__main__":
    main_guard(run_step(slow, inputs=[], outputs=[], params={"marker": "str"}))
"""


def test_sigterm_to_a_step_ends_its_run_killed(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    (root / "slowstep.py").write_text(STEP)
    marker = root / "step-started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "slowstep", "--param", f"marker={marker}"],
        cwd=root,
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert proc.returncode == 128 + signal.SIGTERM, out
    assert "stopped by SIGTERM" in out
    _, run = _only_run(root)
    assert run.info.status == "KILLED"
