"""Run the generated steps chained, through their real commands, in throw-away stores.

The local runner (workbench.runner) runs `python -m steps.NAME.STEP --input ... --output ...
--param ...` for every step, each on the outputs of its generated upstream steps, with the
pipeline's default parameters, no cache, and every store (artifacts, cache, MLflow, model store)
in a temporary folder: verification leaves the project's stores as they were, and the
notebook's execution and the pipeline's start from the same empty MLflow registry.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STORES = {
    "WORKBENCH_ARTIFACT_STORE": "artifacts",
    "WORKBENCH_CACHE_DIR": "cache",
    "WORKBENCH_MODEL_STORE": "models",
    "WORKBENCH_ARTIFACT_ROOT": "mlartifacts",
}
DROPPED = ("MLFLOW_RUN_ID", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID")


@contextmanager
def isolated_stores(folder: Path, root: Path | None = None) -> Iterator[None]:
    """os.environ pointing every store at `folder` (kernels and step processes inherit it),
    and, with `root`, the project root at it."""
    keys = (*STORES, "MLFLOW_TRACKING_URI", "WORKBENCH_PROJECT", *DROPPED)
    saved = {k: os.environ.get(k) for k in keys}
    try:
        if root is not None:
            os.environ["WORKBENCH_PROJECT"] = str(root)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
        for var, sub in STORES.items():
            os.environ[var] = str(folder / sub)
        for var in DROPPED:
            os.environ.pop(var, None)
        folder.mkdir(parents=True, exist_ok=True)
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def run_chain(
    name: str, folder: Path, root: Path
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """(step -> output -> artifact URI, step -> failure) of one uncached run of steps/NAME in
    stores under `folder`; a failure names the exit code and the log's last lines."""
    from workbench.core.settings import settings
    from workbench.runner import ArtifactStore, RunOptions, run_pipeline

    with isolated_stores(folder, root):
        result = run_pipeline(name, RunOptions(no_cache=True, lineage="off"))
        store = ArtifactStore(settings().artifact_store)
        uris: dict[str, dict[str, str]] = {}
        failed: dict[str, str] = {}
        for step, run in result.steps.items():
            if run.status in ("failed", "blocked"):
                tail = run.error
                if run.log is not None and run.log.is_file():
                    tail = "\n".join(run.log.read_text(errors="replace").splitlines()[-10:])
                failed[step] = f"failed (exit {run.exit_code}) where the notebook ran: {tail}"
                continue
            uris[step] = {o: store.output_uri(name, step, run.key, o) for o in run.outputs}
    return uris, failed
