"""A GitOps repository for the deploy tests: a bare repository (the "remote" Argo CD would sync)
seeded with the serving overlay `workbench productionize` writes for the example pipeline, and
models registered and promoted through workbench.tracking on real MLflow."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.emit.serving import ServingOptions, render_serving
from workbench.spec import load_spec

REPO = Path(__file__).resolve().parents[2]
OVERLAY = "manifests/train/overlays/staging/serving"
MODEL = "breast-cancer"


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@dataclass(frozen=True)
class GitOpsRepo:
    bare: Path

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def head(self) -> str:
        return git("rev-parse", "main", cwd=self.bare).strip()

    def show(self, path: str, rev: str = "main") -> str:
        return git("show", f"{rev}:{path}", cwd=self.bare)

    def count(self) -> int:
        return int(git("rev-list", "--count", "main", cwd=self.bare))


def make_gitops_repo(tmp: Path, files: dict[str, str] | None = None) -> GitOpsRepo:
    """A bare repository whose main branch holds the generated manifests of the example."""
    spec = load_spec(REPO / "steps/train/pipeline.json")
    generated = render_serving(spec, ServingOptions(notebook="notebooks/train.ipynb"))
    seed = tmp / "seed"
    for rel, text in (files or {f"manifests/train/{p}": t for p, t in generated.items()}).items():
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        (seed / rel).write_text(text)
    git("init", "-q", "-b", "main", cwd=seed)
    git("add", ".", cwd=seed)
    git("commit", "-q", "-m", "seed", cwd=seed)
    bare = tmp / "gitops.git"
    git("clone", "-q", "--bare", str(seed), str(bare), cwd=tmp)
    return GitOpsRepo(bare)


def deploy_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    """`workbench deploy ...` as the pipeline's container runs it (a separate process)."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", "deploy", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def data() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    return bunch.data.rename(columns=lambda c: c.replace(" ", "_")), bunch.target


def register_and_promote(model: Any, x: Any, y: Any) -> Any:
    """Log and register `model` (fitted on x, y), then run the promotion gate on the same data."""
    import workbench.tracking as wbt

    wbt.set_experiment("deploy-tests")
    with wbt.start_run(run_name="train") as run:
        info = run.log_model(model.fit(x, y), input_example=x.head(3), register=MODEL)
    return wbt.promote(MODEL, info.version, metric="roc_auc", X=x, y=y)
