"""The papermill WorkflowTemplate's command line, run locally: `workbench run` receives every
parameter with its type (str "007" stays a string, True a bool, 1.5 a float), and the executed
notebook lands at the output artifact's path even when a cell fails."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from argo_helpers import REPO, tiny_spec, write_files
from argo_local_exec import load_template, run_dag

from workbench.emit.argo import ArgoOptions, render_manifests

CHECKS = """\
assert type(flag) is bool and type(n) is int and type(scale) is float, (flag, n, scale)
assert type(prefix) is str and prefix.startswith("0"), prefix
assert nothing is None and cols == ["a", "b"] and opts["k"] == 1
assert n >= 0, "n must not be negative"
print(json.dumps({"flag": flag, "n": n, "scale": scale, "prefix": prefix}))
"""


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = (
        'flag = True\nn = 5\nscale = 1.5\nprefix = "007"\ncols = ["a", "b"]\n'
        'opts = {"k": 1, "quote": "it\'s"}\nnothing = None\ndata_path = "data/tiny.csv"\n'
    )
    nb.cells = [
        nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import json\n" + CHECKS),
    ]
    nbformat.write(nb, root / "notebooks" / "tiny.ipynb")
    spec = tiny_spec()
    write_files(root / "manifests" / "tiny", render_manifests(spec, ArgoOptions(spec.notebook)))
    return root


def _outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))


@pytest.mark.slow
@pytest.mark.integration
def test_papermill_template_runs_with_types_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "WORKBENCH_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    wt = load_template(
        root / "manifests/tiny/base/notebook-workflowtemplate.yaml", name="tiny-notebook"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    store = tmp_path / "store"
    overrides = {"prefix": "0042", "flag": "False", "scale": "2.0"}
    run = run_dag(wt, store=store, cwd=root, env=env, overrides=overrides)
    executed = run.outputs["run"]["executed-notebook"]
    assert executed == store / "workbench/tiny/notebooks/local/local-pod.ipynb"
    printed = json.loads(_outputs(executed))
    assert printed == {"flag": False, "n": 5, "scale": 2.0, "prefix": "0042"}

    failed = run_dag(
        wt, store=tmp_path / "failed", cwd=root, env=env, overrides={"n": "-1"}, check=False
    )
    assert failed.exit_codes["run"] == 1
    executed = failed.outputs["run"]["executed-notebook"]
    assert executed.is_file()  # the artifact Argo uploads for the failed step
    assert "n must not be negative" in executed.read_text()
