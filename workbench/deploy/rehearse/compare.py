"""The rehearsal against `workbench pipeline run`: the same cache-key rule, the same outputs.

The local runner runs the same pipeline in a scratch store (its own artifact store, SQLite
tracking, model store and cache under the rehearsal folder; nothing of the project touched).
Two checks per step:
- keys: the memoization key the rehearsal evaluated from the manifest's expression must be what
  the local rule (`hashing.cache_key`) gives for the same code, lock, input digests and
  parameter texts (steps that read a data file are not memoized in Argo);
- outputs: every `<name>-sha256` must equal the local run's digest. An output that is new on
  every run (an MLflow run id) differs locally from one run to the next as well: such outputs
  are reported, and the keys downstream of them are still checked against the rule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.hashing import cache_key
from workbench.deploy.rehearse.engine import PodResult
from workbench.emit.argo.options import Names

_ISOLATE = ("MLFLOW_", "WORKBENCH_", "AWS_")


@dataclass
class Comparison:
    key_mismatches: list[str] = field(default_factory=list)  # must be empty
    output_mismatches: list[str] = field(default_factory=list)  # "step.output", e.g. run ids
    lineage_mismatches: list[str] = field(default_factory=list)  # run structure; must be empty


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
    argv += ["--lineage", "wait"]  # its run structure is compared with the rehearsal's
    argv += [a for p in params for a in ("-p", p)]
    out = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise WorkbenchError(f"the local run failed:\n{out.stderr[-3000:]}")
    return folder / "artifacts"


def compare(
    pods: Sequence[PodResult],
    store: Path,
    spec: Mapping[str, Any],
    texts: Mapping[str, str],
) -> Comparison:
    """`texts`: the workflow parameter texts the rehearsal ran with."""
    found = Comparison()
    by_task = {p.task: p for p in pods}
    pipeline = str(spec["name"])
    for step in spec["steps"]:
        pod = by_task.get(Names.task(step["name"]))
        if pod is None:
            continue
        sources = step.get("input_sources", {})
        if pod.memo_key:
            digests = {
                name: by_task[Names.task(sources[name])]
                .parameters.get(Names.digest_param(name), "")
                .strip()
                for name in step.get("inputs", [])
            }
            want = cache_key(
                code_digest=step["code_digest"],
                lock_digest=spec["lock_digest"],
                input_digests=digests,
                params={p: texts[p] for p in step.get("params", [])},
            )
            if want != pod.memo_key:
                found.key_mismatches.append(
                    f"step {step['name']}: Argo key {pod.memo_key} != local rule {want}"
                )
        entries = sorted((store / pipeline / step["name"]).glob("*/entry.json"))
        if len(entries) != 1:
            found.key_mismatches.append(f"step {step['name']}: {len(entries)} local entries")
            continue
        local = json.loads(entries[0].read_text(encoding="utf-8"))["outputs"]
        for name, digest in sorted(local.items()):
            if pod.parameters.get(Names.digest_param(name), "").strip() != digest:
                found.output_mismatches.append(f"{step['name']}.{name}")
    return found
