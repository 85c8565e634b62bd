"""`workbench init`: a deterministic scaffold, written whole or not at all, whose own smoke test
(the starter notebook as one FINISHED MLflow run) passes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from workbench import DISTRIBUTION
from workbench.cli.main import main
from workbench.scaffold import project_files, scaffold_project

REPO = Path(__file__).resolve().parents[1]

EXPECTED = {
    ".gitignore",
    "Makefile",
    "README.md",
    "environment.yml",
    "pyproject.toml",
    "notebooks/train.ipynb",
    "tests/test_smoke.py",
    "data/.gitkeep",
    "manifests/.gitkeep",
    "steps/.gitkeep",
}


def _init(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["init", *args])
    return int(info.value.code or 0), capsys.readouterr().err


def test_scaffold_is_deterministic_and_complete(tmp_path: Path) -> None:
    files = project_files("churn-model")
    assert files == project_files("churn-model")
    assert set(files) == EXPECTED
    assert not any(str(tmp_path) in text or "/home/" in text for text in files.values())
    readme = files["README.md"].splitlines()
    assert readme[:5] == ["# churn-model", "", "```bash", readme[3], readme[4]]
    assert readme[3].startswith("make demo") and readme[4].startswith("make test")
    pyproject = tomllib.loads(files["pyproject.toml"])
    assert pyproject["project"]["name"] == "churn-model"
    # the distribution name that is free on the package index (`workbench` there is another project)
    assert [d.split(">=")[0] for d in pyproject["project"]["dependencies"]] == [DISTRIBUTION]
    assert "WORKBENCH ?= notebook-workbench" in files["Makefile"]
    assert "workbench" in pyproject["tool"]
    pip = yaml.safe_load(files["environment.yml"])["dependencies"][-1]["pip"]
    assert set(pyproject["project"]["dependencies"]) <= set(pip)
    assert "\n\t$(WB) run notebooks/train.ipynb" in files["Makefile"]


def test_starter_notebook_carries_every_tag_and_names_the_experiment() -> None:
    nb = json.loads(project_files("churn-model")["notebooks/train.ipynb"])
    tags = [tag for cell in nb["cells"] for tag in cell["metadata"].get("tags", [])]
    assert {"parameters", "imports", "functions", "skip"} <= set(tags)
    assert [t for t in tags if t.startswith("step:")] == [
        "step:load",
        "step:prepare",
        "step:train",
        "step:evaluate",
    ]
    parameters = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert 'experiment = "churn-model"' in "".join(parameters["source"])


def test_refuses_a_non_empty_folder_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    code, err = _init([str(target)], capsys)
    assert code != 0 and "not empty" in err and str(target) in err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]  # no staging folder left


def test_force_adds_the_scaffold_and_keeps_other_files(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    (target / "notebooks").mkdir(parents=True)
    (target / "notes.txt").write_text("mine")
    (target / "README.md").write_text("old")
    scaffold_project(target, force=True)
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "README.md").read_text().startswith("# busy")
    assert {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} == (
        EXPECTED | {"notes.txt"}
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_a_name_that_cannot_be_a_project_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _init([str(tmp_path / "x"), "--name", "42"], capsys)
    assert code != 0 and "'42' cannot be a project name" in err
    assert not (tmp_path / "x").exists()


def _cached_venv_with_workbench() -> Path:
    """`_venv_with_workbench_from_this_checkout`, in the test cache under the digest of what it
    installs (the checkout's package, its metadata files, the interpreter), built in place under
    a lock: two pytest-xdist workers or later runs reuse it instead of reinstalling."""
    from tests.cache_helpers import built_in_place, cache_root, digest, tree_digest

    key = digest(
        tree_digest(REPO / "workbench"),
        (REPO / "pyproject.toml").read_text(),
        (REPO / "README.md").read_text(),
        sys.version,
        "pytest",
    )
    return built_in_place(
        cache_root() / "init-venvs" / key, _venv_with_workbench_from_this_checkout
    )


def _venv_with_workbench_from_this_checkout(venv: Path) -> None:
    """A fresh virtualenv holding workbench installed (not editable) from this checkout, the
    way a new project's `make install` does with WORKBENCH=/path/to/checkout. uv installs from
    its cache when present (seconds); otherwise venv + pip from the configured index."""
    from tests.cache_helpers import compile_venv
    from workbench.deploy.rehearse.image import uv_binary

    uv = uv_binary()
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        env = {**os.environ, "VIRTUAL_ENV": str(venv)}
        cmd = [uv, "pip", "install", "-q", str(REPO), "pytest"]
        if subprocess.run([*cmd, "--offline"], env=env).returncode != 0:
            subprocess.run(cmd, env=env, check=True)
        compile_venv(venv)  # as --compile-bytecode would, from the shared bytecode store
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, str(REPO), "pytest"], check=True)


@pytest.mark.slow
def test_a_new_project_passes_its_own_make_test(tmp_path: Path) -> None:
    """`workbench init DIR`, then that project's `make test`: productionize (recording the
    fixtures), `productionize --check`, and its pytest (the tags, the notebook as one FINISHED
    run, the compiled pipeline run, the generated step tests)."""
    target = tmp_path / "fresh"
    code = subprocess.run(
        [sys.executable, "-m", "workbench", "init", str(target)], capture_output=True, text=True
    )
    assert code.returncode == 0, code.stderr
    # the project's .venv: workbench installed from this checkout, built once per content of
    # what it installs (reused by later tests and runs); the stamp, touched after `init` wrote
    # pyproject.toml, tells the Makefile it is installed, so nothing installs into the shared venv
    (target / ".venv").symlink_to(_cached_venv_with_workbench(), target_is_directory=True)
    (target / ".venv" / ".installed").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "WORKBENCH_"))}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        ["make", "test"], cwd=target, env=env, capture_output=True, text=True, timeout=2400
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    assert "up to date" in done.stdout + done.stderr  # productionize --check ran and passed
    assert re.search(r"\b[5-9] passed|\b\d\d passed", done.stdout), done.stdout[-2000:]
    assert " failed" not in done.stdout and " skipped" not in done.stdout
    # the smoke tests used throw-away stores: no pipeline cache in the project itself
    assert not (target / ".workbench").exists()


def test_init_into_the_empty_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    here = tmp_path / "ml-project"
    here.mkdir()
    inode = here.stat().st_ino
    monkeypatch.chdir(here)
    code, _ = _init(["."], capsys)
    assert code == 0
    assert here.stat().st_ino == inode  # the folder itself was kept, not replaced
    assert (here / "README.md").read_text().startswith("# ml-project")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ml-project"]


def test_the_scaffold_ignores_what_the_embedded_defaults_write(project: Path) -> None:
    """A new project's `git status` after `make demo` lists none of the files the embedded
    defaults write at its root: the tracking store and its promotion lock, tuning's default
    study store, MLflow artifacts, the model store and the step cache."""
    from workbench.core.settings import settings
    from workbench.tracking.promotion_lock import promotion_lock
    from workbench.tuning.study import default_storage

    (project / ".gitignore").write_text(project_files("churn-model")[".gitignore"])
    cfg = settings()
    before = set(project.iterdir())
    with promotion_lock(cfg.tracking_uri, "churn-model"):
        locks = set(project.iterdir()) - before
    assert locks, "the SQLite store's promotion lock is a file beside it"
    written = [
        Path(cfg.tracking_uri.split(":///", 1)[1]),
        *locks,
        Path(default_storage().split(":///", 1)[1]),
        project / cfg.artifact_root / "1" / "run" / "artifacts" / "model.pkl",
        project / cfg.model_store / "churn-model" / "model.pkl",
        project / cfg.artifact_store / "train" / "load" / "key" / "raw" / "data.parquet",
        cfg.cache_dir / "logs" / "train" / "run" / "load.log",
    ]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    for path in written:
        relative = str(path.relative_to(project))
        ignored = subprocess.run(["git", "check-ignore", "-q", relative], cwd=project)
        assert ignored.returncode == 0, f"{relative} is not in the scaffold's .gitignore"
