"""The steps image also runs the notebook WorkflowTemplates (`workbench run NOTEBOOK`): it must
carry the notebook, papermill and a kernel, in a layer after the steps' own dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from workbench.compiler import environment
from workbench.compiler.environment import (
    NOTEBOOK_RUNTIME,
    TEAM_DRIVERS,
    notebook_runtime_packages,
)
from workbench.core.errors import WorkbenchError

from .harness import REPO

# The modules whose functions run in the notebook and best-run containers.
RUNTIME_SOURCES = (
    "workbench/cli/main.py",
    "workbench/cli/run.py",
    *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "workbench/execute").glob("*.py")),
    "workbench/tracking/config.py",
    "workbench/tracking/best_run.py",
    "workbench/data/uris.py",
)


def _third_party_imports(path: Path) -> set[str]:
    """Top-level modules imported anywhere in the file (function bodies included), except
    under `if TYPE_CHECKING:`."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name.split(".")[0] for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.add(child.module.split(".")[0])
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("workbench",)}


def test_notebook_runtime_covers_what_workbench_run_imports() -> None:
    modules: set[str] = set()
    for rel in RUNTIME_SOURCES:
        modules |= _third_party_imports(REPO / rel)
    modules.discard("__future__")
    assert {"click", "papermill", "nbformat", "jupyter_client", "mlflow"} <= modules
    pins, unknown = environment.resolve_packages(modules)
    assert not unknown
    assert set(pins) - {"pyarrow"} <= set(NOTEBOOK_RUNTIME), sorted(set(pins) - {"pyarrow"})
    assert "ipykernel" in NOTEBOOK_RUNTIME  # the kernel papermill starts is never imported


def test_importing_the_cli_pulls_in_nothing_else_at_module_level() -> None:
    """Modules reached only through package __init__ files (workbench.data) must not import
    their own dependencies at module level, or the list above would be incomplete."""
    code = (
        "import sys; before = set(sys.modules)\n"
        "import workbench.cli.main, workbench.cli.run, workbench.execute.run\n"
        "import workbench.tracking.config, workbench.tracking.best_run, workbench.data.uris\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(m for m in new if m not in sys.stdlib_module_names and m[0] != '_'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['click', 'workbench']"


def test_notebook_requirements_are_pinned_to_this_environment() -> None:
    text = (REPO / "steps/train/notebook-requirements.txt").read_text()
    pins = dict(line.split("==") for line in text.splitlines() if not line.startswith("#"))
    # the team's PostgreSQL driver is pinned when installed (the test extra installs it)
    assert sorted(pins) == sorted([*NOTEBOOK_RUNTIME, *TEAM_DRIVERS])
    assert pins == {d: version(d) for d in [*NOTEBOOK_RUNTIME, *TEAM_DRIVERS]}
    # the steps' lock digest (and so their cache keys) does not cover these pins
    assert "papermill" not in (REPO / "steps/train/requirements.txt").read_text()


def test_missing_runtime_distribution_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "_version", lambda d: None if d == "papermill" else "1")
    with pytest.raises(WorkbenchError, match=r"papermill: not installed.*pip install papermill"):
        notebook_runtime_packages()


def test_dockerfile_layers_for_the_notebook_templates() -> None:
    lines = (REPO / "steps/train/Dockerfile").read_text().splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(text))

    steps_req = at("RUN pip install --no-cache-dir -r /app/steps/train/requirements.txt")
    nb_copy = at("COPY steps/train/notebook-requirements.txt ")
    nb_install = at("RUN pip install --no-cache-dir -r /app/steps/train/notebook-requirements.txt")
    assert lines[nb_install + 1].strip() == "-c /app/steps/train/requirements.txt"
    workbench = at("RUN pip install --no-cache-dir --no-deps /app/src")
    code = lines.index("COPY steps/train /app/steps/train")
    notebook = lines.index('COPY ["notebooks/train.ipynb", "/app/notebooks/train.ipynb"]')
    user = at("USER ")
    assert steps_req < nb_copy < nb_install < workbench < code < notebook < user

    env = {}
    for line in lines[at("ENV ") : at("WORKDIR ")]:
        key, _, value = line.removeprefix("ENV ").strip(" \\").partition("=")
        env[key] = value
    assert env["HOME"] == "/tmp"
    for key in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        assert env[key].startswith("/tmp/"), key


def test_notebook_reaches_the_build_context_at_the_templates_path() -> None:
    ignores = [
        (REPO / "steps/train" / n).read_text() for n in (".dockerignore", "Dockerfile.dockerignore")
    ]
    assert ignores[0] == ignores[1]
    assert "!notebooks/train.ipynb\n" in ignores[0]
    docs = yaml.safe_load_all(
        (REPO / "manifests/train/base/notebook-workflowtemplate.yaml").read_text()
    )
    for doc in docs:
        papermill = next(t for t in doc["spec"]["templates"] if t["name"] == "papermill")
        assert papermill["container"]["args"][:2] == ["run", "notebooks/train.ipynb"]
        assert "workingDir" not in papermill["container"]  # the image's WORKDIR, /app
    assert "WORKDIR /app" in (REPO / "steps/train/Dockerfile").read_text()
