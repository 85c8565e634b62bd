"""The rehearsal against `workbench pipeline run`: same cache keys, same output digests.

The local runner runs the same pipeline in a scratch store (its own artifact store, SQLite
tracking, model store and cache under the rehearsal folder, nothing of the project's touched).
For every step the Argo memoization key the rehearsal evaluated from the manifest's expression
must be the runner's cache key (steps that read a data file are not memoized in Argo), and every
output's `<name>-sha256` parameter must equal the runner's recorded digest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse.engine import PodResult
from workbench.emit.argo.options import Names

_ISOLATE = ("MLFLOW_", "WORKBENCH_", "AWS_")


def run_local(project: Path, pipeline: str, folder: Path, params: Sequence[str]) -> Path:
    """`workbench pipeline run` into `folder`; return its artifact store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATE)}
    env.update(
        WORKBENCH_PROJECT=str(project),
        WORKBENCH_ARTIFACT_STORE=str(folder / "artifacts"),
        WORKBENCH_CACHE_DIR=str(folder / "cache"),
        WORKBENCH_MODEL_STORE=str(folder / "models"),
        MLFLOW_TRACKING_URI=f"sqlite:///{folder / 'mlflow.db'}",
    )
    argv = [sys.executable, "-m", "workbench.cli.main", "pipeline", "run", pipeline, "--no-cache"]
    argv += [a for p in params for a in ("-p", p)]
    out = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise WorkbenchError(f"the local run failed:\n{out.stderr[-3000:]}")
    return folder / "artifacts"


def differences(
    pods: Sequence[PodResult], store: Path, pipeline: str, steps: Mapping[str, str]
) -> list[str]:
    """Every disagreement between the rehearsed pods and the local store; [] when none.
    `steps` maps an Argo task name to the spec's step name."""
    found: list[str] = []
    for pod in pods:
        step = steps.get(pod.task)
        if step is None:
            continue
        entries = sorted((store / pipeline / step).glob("*/entry.json"))
        if pod.memo_key:
            entries = [e for e in entries if e.parent.name == pod.memo_key]
            if not entries:
                found.append(
                    f"step {step}: Argo memoization key {pod.memo_key} is not the local cache key"
                )
                continue
        if len(entries) != 1:
            found.append(f"step {step}: {len(entries)} local cache entries, expected 1")
            continue
        local = json.loads(entries[0].read_text(encoding="utf-8"))["outputs"]
        for name, digest in sorted(local.items()):
            argo = pod.parameters.get(Names.digest_param(name), "").strip()
            if argo != digest:
                found.append(
                    f"step {step}: output {name} sha256 {argo or 'missing'} != local {digest}"
                )
    return found
